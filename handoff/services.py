"""What the rest of the project asks of hand-off, and every staff action of the console.

The engine calls ``open_ticket`` / ``handoff_notice`` / ``add_resident_message`` /
``instead_of_reopening`` / ``record_rating``; the console calls ``claim``, ``assign``, ``transfer``,
``release``, ``reply``, ``add_note``, ``resolve`` and ``make_faq_draft``. Each staff action writes
one ``AuditEvent`` and publishes a live update for the console.

Who speaks is decided by the conversation state alone (``chatbot.states``): ``waiting`` and
``staff`` belong to people, and every move is a compare-and-set, so two staff claiming at once
cannot both win and a resolved ticket cannot be resolved twice.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext

from conversations import live, outbox, states
from conversations.content import Choice, Reply
from conversations.masking import mask
from conversations.models import Conversation, Membership, Message
from faq import learning
from faq.models import FAQ, LearnedPhrasing
from languages import japanese_names, registry
from languages import translation as machine

from . import hours, limits, triggers
from .access import colleagues, is_city_admin
from .candidates import routed_department
from .models import AuditEvent, CannedReply, InternalNote, Ticket
from .written_language import language_label

log = logging.getLogger(__name__)

S = states.ConversationState
# After a resolve, a low-confidence question is not handed off again at once (the Chatwoot loop:
# "thank you" -> no match -> new ticket). Explicit requests and sensitive topics still are.
REOPEN_GRACE = timedelta(minutes=30)
RATING_VALUES = {"good", "bad", "1", "2", "3", "4", "5"}


class ConsoleError(Exception):
    """A staff action that cannot be done now; the message is shown to the staff member."""


class AlreadyTaken(ConsoleError):
    pass


# --- for the engine ---------------------------------------------------------------------------------


def emergency_lines(municipality, language: str = "ja") -> list[str]:
    """The emergency numbers, the city's own lines with their names localised (``languages.japanese_names``)."""
    lines = [_("Police: 110"), _("Fire and ambulance: 119")]
    lines += [
        japanese_names.contact_line(line.strip(), language, municipality=municipality)
        for line in municipality.emergency_contacts.splitlines()
        if line.strip()
    ]
    return lines


def _open_ticket_of(conversation: Conversation) -> Ticket | None:
    return Ticket.objects.filter(conversation=conversation, status=Ticket.Status.OPEN).first()


def open_ticket_of(conversation: Conversation) -> Ticket | None:
    """The conversation's open ticket, if it has one."""
    return _open_ticket_of(conversation)


CRISIS_ADVICE = {
    "fire": _lazy("If there is fire, smoke or a smell of gas, get out now and call 119."),
    "medical": _lazy("If someone is unconscious, not breathing, bleeding badly or in great pain, call 119 now."),
    "overdose": _lazy("If you or someone has taken too much medicine or something poisonous, call 119 now."),
    "violence": _lazy("If you are in danger now, get to a safe place and call 110."),
    "disaster": _lazy("If you are in danger, move to a higher, safer place if you can, and call 119 or 110."),
    "suicide": _lazy(
        "You are not alone, and it is right to reach out. If you might act on these thoughts, call 119 now, "
        "or talk to one of the lines below."
    ),
}


def handoff_notice(conversation: Conversation, reason: str, language: str, *, crisis: str = "") -> Reply:
    """What the resident is told when the conversation goes to staff, in their language.

    ``crisis``: the kind of emergency (``chatbot.intents``): what to do now comes first.
    """
    ticket = _open_ticket_of(conversation)
    if ticket is None and conversation.state == S.BOT:
        return _not_queued(conversation, reason, language)
    if ticket is not None:
        out_of_hours, next_at = ticket.out_of_hours, ticket.next_opening_at
    else:
        out_of_hours, next_at = _hours_now(conversation.municipality)
    schedule_tz = hours.schedule_for(conversation.municipality).tz
    with translation.override(language or "ja"):
        when = hours.format_when(next_at, language, schedule_tz) if next_at else ""
        if reason == Ticket.Reason.SENSITIVE:
            text = f"{CRISIS_ADVICE[crisis]}\n" if crisis in CRISIS_ADVICE else ""
            text += _("If you are in danger or it is an emergency, call now:\n%(lines)s\n") % {
                "lines": "\n".join(emergency_lines(conversation.municipality, language))
            }
            if out_of_hours and when:
                text += _(
                    "Our office is closed now. A staff member will read your message when they are next in, "
                    "from %(when)s. If you are in danger, do not wait: call the numbers above."
                ) % {"when": when}
            else:
                text += _("A staff member has been asked to contact you here as soon as possible.")
            return Reply(kind="handoff", text=text)
        if out_of_hours and when:
            text = _(
                "Our staff are not in right now. Your question is in the queue, and a staff member will "
                "reply here after they are next in, from %(when)s. You do not need to send it again."
            ) % {"when": when}
        elif out_of_hours:
            text = _("Our staff are not in right now. Your question is in the queue; a staff member will reply here.")
        else:
            text = _("I will pass your question to a staff member. They will reply here. Please wait a moment.")
        return Reply(kind="handoff", text=text)


def _not_queued(conversation: Conversation, reason: str, language: str) -> Reply:
    """No ticket was opened (the chat's ticket limit): say so, and where else to turn."""
    with translation.override(language or "ja"):
        text = ""
        if reason == Ticket.Reason.SENSITIVE:
            text = _("If you are in danger or it is an emergency, call now:\n%(lines)s\n") % {
                "lines": "\n".join(emergency_lines(conversation.municipality, language))
            }
        text += _(
            "Many requests to talk to staff have come from this chat recently, so this one could not be passed "
            "on now. Please try again later, or contact the city office directly."
        )
        return Reply(kind="notice", text=text)


def _hours_now(municipality) -> tuple[bool, object]:
    schedule = hours.schedule_for(municipality)
    at = hours.now()
    if schedule.is_open(at):
        return False, None
    return True, schedule.next_opening(at)


def open_ticket(
    conversation: Conversation,
    reason: str,
    *,
    question: str = "",
    candidates=None,
    department: str = "",
    language: str = "",
) -> Ticket | None:
    """Queue the conversation for staff. One open ticket per conversation: a second call returns it.

    ``language``: the question's, when it is written in another language than the resident's (a
    Vietnamese question in a chat set to Japanese): staff read it translated from that language.

    ``department``: where the best candidate belongs; the ticket goes there only when that
    candidate is plausible (``handoff.candidates``), else to the general queue.

    None when the web chat's ticket limit is reached (``handoff.limits``); ``handoff_notice`` then
    tells the resident where else to turn.
    """
    priority = Ticket.Priority.URGENT if reason == Ticket.Reason.SENSITIVE else Ticket.Priority.NORMAL
    existing = _open_ticket_of(conversation)
    if existing:
        if priority < existing.priority:
            existing.priority = priority
            existing.save(update_fields=["priority"])
            _publish(existing, "ticket.updated")
        return existing
    if reason != Ticket.Reason.FAILED and not limits.may_open(conversation):
        return None
    department = routed_department(department, candidates or [], conversation.municipality)
    if not question or not candidates:
        last = conversation.answer_logs.order_by("-created_at", "-id").first()
        if last is not None:
            question = question or last.query
            candidates = candidates or last.candidates
    language = language or conversation.resident.language or "ja"
    out_of_hours, next_at = _hours_now(conversation.municipality)
    question_ja = _in_japanese(question, language, conversation)
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                municipality=conversation.municipality,
                conversation=conversation,
                reason=reason,
                priority=priority,
                question=question,
                question_ja=question_ja.text if question_ja else "",
                candidates=candidates or [],
                department=department,
                language=language,
                out_of_hours=out_of_hours,
                next_opening_at=next_at,
            )
            if conversation.state == S.CLOSED:
                states.apply(conversation.pk, states.Transition.REOPEN)
            states.apply(conversation.pk, states.Transition.HAND_OFF)
    except IntegrityError:
        return Ticket.objects.get(conversation=conversation, status=Ticket.Status.OPEN)
    conversation.refresh_from_db()
    if question_ja and question_ja.machine:  # staff see the question's translation beside it in the thread
        Message.objects.filter(
            conversation=conversation, direction=Message.Direction.INBOUND, text=question, translation=""
        ).update(translation=question_ja.text, translation_language="ja", machine_translated=True)
    _publish(ticket, "ticket.new")
    return ticket


RECEIVED = "received"  # the kind of the acknowledgement that a message reached staff


def add_resident_message(conversation: Conversation, message: Message) -> Reply | None:
    """A message while a person holds the conversation: added to the ticket for staff.

    The bot does not answer it. Returned: the first time a ticket gets such a message, a short
    acknowledgement for the resident, in the message's language, that it reached staff (silence
    would look like a lost message); None after that.
    """
    ticket = _open_ticket_of(conversation)
    if ticket is None:
        # A conversation owned by people without a ticket would never be answered: repair it.
        log.warning("conversation %s is %s without an open ticket; opening one", conversation.pk, conversation.state)
        try:
            ticket = Ticket.objects.create(
                municipality=conversation.municipality,
                conversation=conversation,
                reason=Ticket.Reason.ASKED_FOR_PERSON,
                question=message.text,
                language=conversation.resident.language,
            )
        except IntegrityError:
            ticket = _open_ticket_of(conversation)
    if message.text and not message.translation:
        ja = _in_japanese(message.text, message.language or conversation.resident.language, conversation)
        if ja:
            Message.objects.filter(pk=message.pk).update(
                translation=ja.text, translation_language="ja", machine_translated=ja.machine
            )
    Ticket.objects.filter(pk=ticket.pk).update(unread=F("unread") + 1, last_resident_message_at=timezone.now())
    _publish(ticket, "message.new", message=message.pk)
    if acknowledged(ticket):
        return None
    return received_notice(conversation, message.language or conversation.resident.language)


def acknowledged(ticket: Ticket) -> bool:
    """Whether the resident has been told, since the ticket opened, that their messages reach staff."""
    return Message.objects.filter(
        conversation_id=ticket.conversation_id,
        direction=Message.Direction.OUTBOUND,
        kind=RECEIVED,
        created_at__gte=ticket.created_at,
    ).exists()


def received_notice(conversation: Conversation, language: str, *, button: bool = False) -> Reply:
    """Your message reached staff (``button``: a button of the bot's was pressed while staff hold the
    conversation; its choice is passed on to them, nothing is answered automatically)."""
    out_of_hours, next_at = _hours_now(conversation.municipality)
    with translation.override(language or "ja"):
        if button:
            text = _(
                "A staff member is handling your conversation now, so the automatic answers are paused. "
                "Your choice has been passed on to them."
            )
        else:
            text = _("Your message has reached our staff.")
        if out_of_hours and next_at:
            when = hours.format_when(next_at, language, hours.schedule_for(conversation.municipality).tz)
            text += " " + _("They are not in now and will reply here after they are next in, from %(when)s.") % {
                "when": when
            }
        else:
            text += " " + _("They will reply here; you do not need to send it again.")
        return Reply(kind=RECEIVED, text=text)


def instead_of_reopening(conversation: Conversation, reason: str, text: str, language: str) -> Reply | None:
    """Shortly after a resolve, a low-confidence question gets a reply instead of a new ticket (no loops)."""
    if reason != Ticket.Reason.LOW_CONFIDENCE:
        return None
    last = (
        Ticket.objects.filter(conversation=conversation, status=Ticket.Status.RESOLVED).order_by("-resolved_at").first()
    )
    if last is None or last.resolved_at is None or timezone.now() - last.resolved_at > REOPEN_GRACE:
        return None
    with translation.override(language or "ja"):
        if triggers.is_acknowledgement(text):
            return Reply(kind="notice", text=_("You're welcome. If you have another question, please type it here."))
        return Reply(
            kind="notice",
            text=_("Sorry, I could not find an answer to that. Please try asking in other words, or talk to a person."),
            choices=[Choice(_("Talk to a person"), {"action": "person"})],
        )


def rating_question(ticket: Ticket, language: str) -> Reply:
    with translation.override(language or "ja"):
        return Reply(
            kind="rating",
            text=_(
                "Our staff member has finished helping you; the automatic assistant answers again from now on. "
                "Were you satisfied with the help?"
            ),
            choices=[
                Choice(pgettext("rating", "Satisfied"), {"action": "rating", "value": "good", "ticket": ticket.pk}),
                Choice(_("Not satisfied"), {"action": "rating", "value": "bad", "ticket": ticket.pk}),
            ],
        )


def record_rating(conversation: Conversation, data: dict, language: str) -> Reply:
    """The resident's one-tap rating of a resolved ticket. The first tap counts; the thanks is always sent."""
    value = str(data.get("value", ""))
    try:
        ticket_id = int(data.get("ticket"))
    except (TypeError, ValueError):
        ticket_id = None
    if value in RATING_VALUES and ticket_id:
        updated = Ticket.objects.filter(pk=ticket_id, conversation=conversation, rating="").update(
            rating=value, rated_at=timezone.now()
        )
        if updated:
            ticket = Ticket.objects.get(pk=ticket_id)
            _publish(ticket, "ticket.rated")
    with translation.override(language or "ja"):
        return Reply(kind="notice", text=_("Thank you for your rating. If you have another question, type it here."))


# --- delivery --------------------------------------------------------------------------------------


def delivery_changed(sender=None, *, conversation: Conversation, **_kwargs) -> None:
    """Tell the console of the conversation's latest ticket that a message went out (or failed to).

    Connected to ``conversations.signals.delivered`` (``handoff.apps``)."""
    ticket = Ticket.objects.filter(conversation=conversation).order_by("-pk").first()
    if ticket is not None:
        _publish(ticket, "message.delivery")


# --- staff actions ------------------------------------------------------------------------------------


def audit(actor, action: str, *, ticket: Ticket | None = None, municipality=None, detail=None, ip=None) -> AuditEvent:
    return AuditEvent.objects.create(
        municipality=municipality or ticket.municipality,
        user=actor,
        action=action,
        ticket=ticket,
        conversation_id=ticket.conversation_id if ticket else None,
        detail=detail or {},
        ip_address=ip,
    )


def _publish(ticket: Ticket, kind: str, **extra) -> None:
    event = {"type": kind, "ticket": ticket.pk, "conversation": ticket.conversation_id, **extra}
    transaction.on_commit(partial(live.publish, ticket.municipality_id, event))


def _fresh(ticket: Ticket) -> Ticket:
    ticket = Ticket.objects.select_related("conversation__resident", "municipality").get(pk=ticket.pk)
    if not ticket.is_open:
        raise ConsoleError(_("This ticket is already resolved."))
    return ticket


def _is_holder(ticket: Ticket, actor) -> bool:
    conversation = ticket.conversation
    return conversation.state == S.STAFF and conversation.owner_id == actor.pk


def _may_override(ticket: Ticket, actor) -> bool:
    return is_city_admin(actor, ticket.municipality_id)


def claim(ticket: Ticket, actor, *, ip=None) -> Ticket:
    """Take a waiting ticket. Two staff at once: exactly one wins, the other gets AlreadyTaken."""
    ticket = _fresh(ticket)
    try:
        with transaction.atomic():
            states.apply(ticket.conversation_id, states.Transition.CLAIM, owner=actor)
            Ticket.objects.filter(pk=ticket.pk).update(
                assignee=actor, claimed_at=Coalesce(F("claimed_at"), timezone.now()), unread=0
            )
            audit(actor, AuditEvent.Action.CLAIM, ticket=ticket, ip=ip)
    except states.InvalidTransition as exc:
        raise AlreadyTaken(_("Someone else has already taken this ticket.")) from exc
    _publish(ticket, "ticket.updated")
    return Ticket.objects.get(pk=ticket.pk)


def assign(ticket: Ticket, actor, assignee, *, ip=None) -> Ticket:
    """Give the ticket to a colleague of the same municipality.

    A held ticket is reassigned by its holder or a city admin only, as for release and transfer.
    """

    ticket = _fresh(ticket)
    if ticket.conversation.state == S.STAFF and not (_is_holder(ticket, actor) or _may_override(ticket, actor)):
        raise AlreadyTaken(_("Someone else is handling this ticket."))
    if not colleagues(ticket.municipality).filter(pk=assignee.pk).exists():
        raise ConsoleError(_("That person does not work on this municipality's console."))
    with transaction.atomic():
        state = Conversation.objects.filter(pk=ticket.conversation_id).values_list("state", flat=True).first()
        if state == S.WAITING:
            try:
                states.apply(ticket.conversation_id, states.Transition.CLAIM, owner=assignee)
            except states.InvalidTransition as exc:
                raise AlreadyTaken(_("The ticket changed meanwhile; please try again.")) from exc
        elif state == S.STAFF:
            Conversation.objects.filter(pk=ticket.conversation_id, state=S.STAFF).update(
                owner=assignee, updated_at=timezone.now()
            )
        else:
            raise ConsoleError(_("This conversation is no longer with staff."))
        Ticket.objects.filter(pk=ticket.pk).update(
            assignee=assignee, claimed_at=Coalesce(F("claimed_at"), timezone.now())
        )
        audit(actor, AuditEvent.Action.ASSIGN, ticket=ticket, ip=ip, detail={"to": assignee.get_username()})
    _publish(ticket, "ticket.updated")
    return Ticket.objects.get(pk=ticket.pk)


def release(ticket: Ticket, actor, *, ip=None) -> Ticket:
    """Put a held ticket back in the queue."""
    ticket = _fresh(ticket)
    if not (_is_holder(ticket, actor) or _may_override(ticket, actor)):
        raise ConsoleError(_("Only the person holding this ticket can release it."))
    try:
        with transaction.atomic():
            states.apply(ticket.conversation_id, states.Transition.RELEASE)
            Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
            audit(actor, AuditEvent.Action.RELEASE, ticket=ticket, ip=ip)
    except states.InvalidTransition as exc:
        raise ConsoleError(_("This ticket is not held by anyone.")) from exc
    _publish(ticket, "ticket.updated")
    return Ticket.objects.get(pk=ticket.pk)


def transfer(ticket: Ticket, actor, department: str, *, ip=None) -> Ticket:
    """Route the ticket to a department: it goes back to the queue there."""
    ticket = _fresh(ticket)
    department = department.strip()[:100]
    held = ticket.conversation.state == S.STAFF
    if held and not (_is_holder(ticket, actor) or _may_override(ticket, actor)):
        raise ConsoleError(_("Only the person holding this ticket can transfer it."))
    with transaction.atomic():
        if held:
            with suppress(states.InvalidTransition):  # released meanwhile: still transfer
                states.apply(ticket.conversation_id, states.Transition.RELEASE)
        Ticket.objects.filter(pk=ticket.pk).update(department=department, assignee=None)
        audit(
            actor,
            AuditEvent.Action.TRANSFER,
            ticket=ticket,
            ip=ip,
            detail={"from": ticket.department, "to": department},
        )
    _publish(ticket, "ticket.updated")
    return Ticket.objects.get(pk=ticket.pk)


# --- translation (chatbot.translation, configured by settings.TRANSLATOR) ----------------------------


def _in_japanese(text: str, language: str, conversation: Conversation) -> machine.Translated | None:
    """A resident's text in Japanese for staff; None when it was Japanese already or no translation is available."""
    result = machine.to_japanese(text, language or "ja", municipality=conversation.municipality)
    return result if result is not None and (result.machine or result.curated) else None


def is_curated(result: machine.StaffTranslation) -> bool:
    """Translated by a person (a canned reply's translation, an editor's correction), not by machine."""
    return result.translated and not result.machine


def sent_language(result: machine.StaffTranslation) -> str:
    """The language the resident receives: theirs, or Japanese when no translation was available."""
    return result.language if result.translated else "ja"


def prepare_reply(
    ticket: Ticket, text_ja: str, canned: CannedReply | None = None, *, preview: bool = False
) -> machine.StaffTranslation:
    """What will be sent for a Japanese reply: a curated canned translation, else the translator's.

    ``preview``: also a back-translation into Japanese of a machine translation, for staff to check.
    """
    language = ticket.conversation.resident.language or ticket.language or "ja"
    if canned is not None and canned.text_ja.strip() == text_ja.strip() and not registry.reads_japanese(language):
        curated = canned.text_for(language)
        if curated is not None:
            return machine.StaffTranslation(text_ja, curated, language, translated=True, machine=False)
    return machine.for_resident(text_ja, language, municipality=ticket.municipality, preview=preview)


def machine_translation_notice(language: str) -> str:
    with translation.override(language or "ja"):
        return _("This message was translated automatically from Japanese and may contain mistakes.")


def reply(
    ticket: Ticket,
    actor,
    text_ja: str,
    *,
    prepared: machine.StaffTranslation | None = None,
    canned: CannedReply | None = None,
    ip=None,
) -> Message:
    """Send a staff reply written in Japanese, translated for the resident. Replying to a waiting ticket claims it."""
    text_ja = text_ja.strip()
    if not text_ja:
        raise ConsoleError(_("Please write a reply."))
    ticket = _fresh(ticket)
    if ticket.conversation.state == S.WAITING:
        ticket = claim(ticket, actor, ip=ip)
        ticket = _fresh(ticket)
    if not (_is_holder(ticket, actor) or (ticket.conversation.state == S.STAFF and _may_override(ticket, actor))):
        raise AlreadyTaken(_("Someone else is handling this ticket."))
    result = prepared or prepare_reply(ticket, text_ja, canned)
    conversation = ticket.conversation
    notice = machine_translation_notice(result.language) if result.machine else ""
    [message] = outbox.send(
        conversation,
        [Reply(kind="text", text=result.text, notice=notice, japanese=text_ja if result.translated else "")],
        sender=Message.Sender.STAFF,
        staff_user=actor,
        machine_translated=result.machine,
    )
    Ticket.objects.filter(pk=ticket.pk, first_response_at__isnull=True).update(first_response_at=message.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(unread=0)
    audit(
        actor,
        AuditEvent.Action.REPLY,
        ticket=ticket,
        ip=ip,
        detail={
            "message": message.pk,
            "language": sent_language(result),
            "machine_translated": result.machine,
            "curated": is_curated(result),
            "canned": canned.pk if canned else None,
        },
    )
    _publish(ticket, "message.sent", message=message.pk)
    return message


def add_note(ticket: Ticket, actor, text: str, *, ip=None) -> InternalNote:
    """A note for colleagues; it is not a Message and no channel ever sees it."""
    text = text.strip()
    if not text:
        raise ConsoleError(_("Please write a note."))
    ticket = Ticket.objects.get(pk=ticket.pk)
    note = InternalNote.objects.create(ticket=ticket, author=actor, text=text)
    audit(actor, AuditEvent.Action.NOTE, ticket=ticket, ip=ip, detail={"note": note.pk})
    _publish(ticket, "note.new", note=note.pk)
    return note


def resolve(
    ticket: Ticket,
    *,
    outcome: str = "",
    actor=None,
    note: str = "",
    ask_rating: bool = True,
    ip=None,
    faq: FAQ | None = None,
) -> bool:
    """Close the ticket and give the conversation back to the bot. Only the first call does anything.

    ``faq``: the entry that answered the resident (the staff member chose it): the bot learns the
    resident's wording for it (``faq.learning``), approved at once if the city lets staff teach it.
    """
    ticket = Ticket.objects.select_related("conversation__resident", "municipality").get(pk=ticket.pk)
    held = actor is not None and ticket.is_open and ticket.conversation.state == S.STAFF
    if held and not (_is_holder(ticket, actor) or _may_override(ticket, actor)):
        raise ConsoleError(_("Only the person holding this ticket can resolve it."))
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.OPEN).update(
            status=Ticket.Status.RESOLVED,
            resolved_at=timezone.now(),
            outcome=outcome,
            outcome_note=note,
            resolved_by=actor,
            unread=0,
        )
        if updated:
            try:
                states.apply(ticket.conversation_id, states.Transition.RESOLVE)
            except states.InvalidTransition:
                log.info("ticket %s resolved on a conversation in state %s", ticket.pk, ticket.conversation.state)
            if faq is not None and faq.municipality_id == ticket.municipality_id and ticket.question:
                learning.learn(faq, ticket.question, source=LearnedPhrasing.Source.STAFF, user=actor)
            if actor is not None:
                detail = {"outcome": outcome, "note": mask(note), "faq": faq.pk if faq is not None else None}
                audit(actor, AuditEvent.Action.RESOLVE, ticket=ticket, ip=ip, detail=detail)
    if not updated:
        return False
    _publish(ticket, "ticket.resolved")
    if ask_rating and outcome != Ticket.Outcome.SPAM:
        language = ticket.conversation.resident.language or ticket.language
        try:
            outbox.send(ticket.conversation, [rating_question(ticket, language)], sender=Message.Sender.SYSTEM)
        except Exception:  # the ticket is resolved either way; a failed question is logged on the message
            log.warning("rating question for ticket %s not delivered", ticket.pk, exc_info=True)
    return True


@dataclass(frozen=True)
class DraftTexts:
    """A starting point for an FAQ draft, in Japanese where a translation exists."""

    question: str  # masked
    answer: str
    question_language: str  # "ja" when the question is its Japanese translation

    @property
    def untranslated(self) -> bool:
        return not registry.reads_japanese(self.question_language)


def draft_texts(ticket: Ticket) -> DraftTexts:
    """The resident's question in Japanese (its translation, else the original: see ``untranslated``),
    masked, and the staff replies in their Japanese original."""
    question, language = ticket.question_ja, "ja"
    if not question:
        translated = (
            Message.objects.filter(
                conversation_id=ticket.conversation_id,
                direction=Message.Direction.INBOUND,
                text=ticket.question,
                translation_language="ja",
            )
            .exclude(translation="")
            .values_list("translation", flat=True)
            .first()
        )
        question = translated or ticket.question
        language = "ja" if translated else language_label(ticket.question, ticket.language)
    replies = Message.objects.filter(
        conversation_id=ticket.conversation_id,
        sender=Message.Sender.STAFF,
        created_at__gte=ticket.created_at,
    ).order_by("created_at", "id")
    texts = [m.translation if m.translation_language == "ja" and m.translation else m.text for m in replies]
    return DraftTexts(mask(question), "\n\n".join(texts), language)


def make_faq_draft(ticket: Ticket, actor, *, question: str = "", answer: str = "", ip=None):
    """Turn the exchange into a draft FAQ entry for editors (never answerable until they publish it)."""

    ticket = Ticket.objects.select_related("municipality").get(pk=ticket.pk)
    defaults = draft_texts(ticket)
    question = mask((question or defaults.question).strip())
    answer = mask((answer or defaults.answer).strip())  # staff replies may name the resident ("山田様、…")
    if not question or not answer:
        raise ConsoleError(_("An FAQ draft needs a question and an answer."))
    faq, created = FAQ.objects.get_or_create(
        municipality=ticket.municipality,
        external_id=f"draft-{ticket.pk}",
        defaults={
            "question": question,
            "answer": answer,
            "status": FAQ.Status.DRAFT,
            "department": ticket.department,
        },
    )
    Ticket.objects.filter(pk=ticket.pk).update(faq_draft=faq)
    if created:
        audit(actor, AuditEvent.Action.FAQ_DRAFT, ticket=ticket, ip=ip, detail={"faq": faq.pk})
    return faq


def departments(municipality) -> list[str]:
    """Departments known for a municipality: from its FAQ, staff memberships, canned replies and tickets."""

    names: set[str] = set()
    names.update(FAQ.objects.filter(municipality=municipality).values_list("department", flat=True))
    names.update(Membership.objects.filter(municipality=municipality).values_list("department", flat=True))
    names.update(CannedReply.objects.filter(municipality=municipality).values_list("department", flat=True))
    names.update(Ticket.objects.filter(municipality=municipality).values_list("department", flat=True))
    return sorted(n for n in names if n)


def system_note(ticket: Ticket, text: str) -> InternalNote:
    """A note on the ticket written by the system (no author), e.g. why a message could not be processed."""
    note = InternalNote.objects.create(ticket=ticket, author=None, text=text)
    _publish(ticket, "ticket.updated")
    return note
