"""Forms of the editors' pages (FAQ edit form, import, export, "try a question")."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import importing
from .models import FAQ


class LinesField(forms.CharField):
    """A list of texts edited as one text per line (friendlier than raw JSON)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            lines = [str(v) for v in value]
        else:
            lines = (super().to_python(value) or "").splitlines()
        return list(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        for line in value:
            if "|" in line:
                raise forms.ValidationError(_("A phrasing must not contain “|” (it separates phrasings in CSV files)."))

    def has_changed(self, initial, data):
        return self.to_python(initial or []) != self.to_python(data or "")


class FAQForm(forms.ModelForm):
    alt_questions = LinesField(
        label=_("alternative phrasings"),
        required=False,
        help_text=_("One per line: other ways residents ask the same question. They weigh as much as the question."),
    )
    confirm_review = forms.BooleanField(
        label=_("I have checked this entry is correct"),
        required=False,
        help_text=_("Records you and today's date as the last review."),
    )

    class Meta:
        model = FAQ
        fields = [
            "municipality",
            "external_id",
            "status",
            "question",
            "alt_questions",
            "answer",
            "category",
            "department",
            "contact",
            "url",
            "valid_from",
            "valid_until",
        ]

    def clean_url(self):
        url = (self.cleaned_data.get("url") or "").strip()
        if url:
            try:
                importing.check_url(url)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return url

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and start > end:
            self.add_error("valid_until", _("The end of validity is before its start."))
        return data


def _municipality_field(queryset):
    field = forms.ModelChoiceField(queryset=queryset, label=_("municipality"), empty_label=None)
    if queryset.count() == 1:
        field.widget = forms.HiddenInput()
        field.initial = queryset.first().pk
    return field


class ImportForm(forms.Form):
    KIND_CHOICES = [("faq", _("FAQ entries")), ("translations", _("curated translations"))]

    kind = forms.ChoiceField(label=_("contents"), choices=KIND_CHOICES, initial="faq")
    file = forms.FileField(
        label=_("file"),
        help_text=_(
            "CSV (UTF-8 with a header row) or JSONL (.jsonl). Rows are matched by external_id: existing "
            "entries are updated, new ones created. Rows with errors are listed with their line number."
        ),
    )
    dry_run = forms.BooleanField(
        label=_("check only (write nothing)"),
        required=False,
        initial=True,
        help_text=_("Untick to import once the check shows no errors."),
    )
    strict = forms.BooleanField(label=_("write nothing if any row has an error"), required=False)

    MAX_BYTES = 20 * 1024 * 1024

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"] = _municipality_field(municipalities)
        self.order_fields(["municipality", "kind", "file", "dry_run", "strict"])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        name = upload.name.lower()
        if not name.endswith((".csv", ".txt", *importing.JSONL_SUFFIXES)):
            raise forms.ValidationError(_("Choose a .csv or .jsonl file."))
        return upload


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("contents"), choices=ImportForm.KIND_CHOICES, initial="faq")
    format = forms.ChoiceField(
        label=_("format"), choices=[("csv", _("CSV (opens in Excel)")), ("jsonl", "JSONL")], initial="csv"
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"] = _municipality_field(municipalities)
        self.order_fields(["municipality", "kind", "format"])


class TryForm(forms.Form):
    q = forms.CharField(
        label=_("question"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80, "placeholder": _("e.g. 粗大ごみはどうやって出すの？")}),
    )
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES, initial="ja")

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"] = _municipality_field(municipalities)
        self.order_fields(["municipality", "q", "language"])
