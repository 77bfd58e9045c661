"""Any OpenAI-compatible language model, off unless configured: one client, token metering, a monthly budget.

The bot's grounded answers (``chatbot.generation``) and the ``llm`` machine translator
(``languages.translation``) both call the model through ``llm.client``.
"""
