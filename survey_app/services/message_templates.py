"""Message templates: the words of each SMS and email, per survey and channel, from
``survey_app/templates/messages/messages.yaml``, and how long an SMS is.

Templates are a data file, not database rows: each one must match the template created in
GOV.UK Notify word for word (we send Notify the template id and the personalisation, and
render the same text here for the outbox), and every change is reviewed and its SMS length
tested like code. Placeholders are Notify's ``((name))``.

SMS length follows GSM 03.38: a text of GSM-7 characters fits 160 in one fragment and 153
in each of several (the extension characters ``^{}\\[~]|€`` count twice); one character
outside GSM-7 makes the whole text UCS-2 (70, then 67 a fragment). Typographic quotes,
dashes and spaces are turned into plain ones first, as Notify does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

TEMPLATE_FILE = Path(__file__).resolve().parents[1] / "templates" / "messages" / "messages.yaml"
PLACEHOLDERS = ("organisation", "survey_link", "decline_link", "last_day")
PLACEHOLDER = re.compile(r"\(\(([^()]*)\)\)")
KINDS = {"invitation": "invitation", "reminder_1": "reminder", "reminder_2": "reminder"}
SMS_FRAGMENTS = 2  # the most an SMS may take, link included

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                       "\u00a0": " ", "\u2009": " ", "…": "..."})


class TemplateError(ValueError):
    """The template file is wrong, or a template was rendered without a value it needs."""


@dataclass(frozen=True)
class Template:
    """One message's words, with Notify-style placeholders."""

    name: str
    channel: str
    body: str
    subject: str | None = None

    @property
    def placeholders(self) -> list[str]:
        """Return the placeholders the template uses, in order of first use."""
        found = PLACEHOLDER.findall(f"{self.subject or ''} {self.body}")
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Rendered:
    """A template filled in: what the person receives."""

    subject: str | None
    body: str

    @property
    def text(self) -> str:
        """Return the whole message as the outbox shows it."""
        return f"Subject: {self.subject}\n\n{self.body}" if self.subject else self.body


@dataclass(frozen=True)
class SmsLength:
    """How an SMS is encoded and how many fragments it takes."""

    encoding: str
    characters: int
    fragments: int


def plain(text: str) -> str:
    """Return ``text`` with typographic quotes, dashes and spaces made plain (GSM-7)."""
    return text.translate(PLAIN)


def sms_length(text: str) -> SmsLength:
    """Return the encoding, length in characters (GSM-7 units) and fragments of ``text``."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, each, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-be")) // 2
        single, each, encoding = 70, 67, "UCS-2"
    fragments = 1 if units <= single else -(-units // each)
    return SmsLength(encoding, units, fragments)


def _template(name: str, spec: object) -> Template:
    if not isinstance(spec, dict) or spec.get("channel") not in ("sms", "email"):
        raise TemplateError(f"template {name}: needs channel sms or email")
    template = Template(name=name, channel=spec["channel"], body=str(spec.get("body") or ""),
                        subject=spec.get("subject"))
    if not template.body.strip():
        raise TemplateError(f"template {name}: has no body")
    if (template.channel == "email") != bool(template.subject):
        raise TemplateError(f"template {name}: an email needs a subject, an SMS has none")
    unknown = set(template.placeholders) - set(PLACEHOLDERS)
    if unknown:
        raise TemplateError(f"template {name}: unknown placeholders {sorted(unknown)}; "
                            f"known: {', '.join(PLACEHOLDERS)}")
    if "survey_link" not in template.placeholders:
        raise TemplateError(f"template {name}: has no ((survey_link))")
    return template


@cache
def catalogue(path: Path = TEMPLATE_FILE) -> tuple[dict[str, Template], dict[str, dict]]:
    """Return the templates by name and the surveys' choices, checked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    templates = {name: _template(name, spec) for name, spec in
                 (data.get("templates") or {}).items()}
    surveys = data.get("surveys") or {}
    if "default" not in surveys:
        raise TemplateError("the template file has no surveys: default")
    for slug, choice in surveys.items():
        for channel in ("sms", "email"):
            for kind in ("invitation", "reminder"):
                name = ((choice or {}).get(channel) or {}).get(kind)
                if name is None and slug == "default":
                    raise TemplateError(f"surveys: default has no {channel} {kind}")
                if name is not None and (name not in templates
                                         or templates[name].channel != channel):
                    raise TemplateError(f"surveys: {slug} {channel} {kind} names {name!r}, "
                                        f"which is not an {channel} template")
    return templates, surveys


def template_for(survey_slug: str, channel: str, kind: str) -> Template:
    """Return the template a survey sends for a channel and message kind."""
    templates, surveys = catalogue()
    group = KINDS[kind]
    choice = (surveys.get(survey_slug) or {}).get(channel) or {}
    return templates[choice.get(group) or surveys["default"][channel][group]]


def render(template: Template, values: dict[str, str]) -> Rendered:
    """Fill in the template's placeholders (an SMS's values made plain GSM-7 first)."""
    missing = [name for name in template.placeholders if not values.get(name)]
    if missing:
        raise TemplateError(f"template {template.name}: no value for {', '.join(missing)}")
    clean = {k: plain(v) if template.channel == "sms" else v for k, v in values.items()}

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda match: clean[match.group(1)], text)

    return Rendered(fill(template.subject) if template.subject else None, fill(template.body))


def personalisation(template: Template, values: dict[str, str]) -> dict[str, str]:
    """Return the values Notify needs for the template (only its placeholders)."""
    clean = {k: plain(v) if template.channel == "sms" else v for k, v in values.items()}
    return {name: clean[name] for name in template.placeholders}


def all_templates() -> list[Template]:
    """Return every template in the file, by name."""
    templates, _ = catalogue()
    return [templates[name] for name in sorted(templates)]


# The longest values a placeholder takes: a 43-character token, the longest date.
LONGEST_TOKEN = "x" * 43
LONGEST_DAY = "30 September"


def sms_lengths(organisation: str, base_url: str) -> dict[str, SmsLength]:
    """Return each SMS template's length for ``organisation`` with the longest link."""
    link = f"{base_url.rstrip('/')}/s/{LONGEST_TOKEN}"
    values = {"organisation": organisation, "survey_link": link,
              "decline_link": f"{link}/decline", "last_day": LONGEST_DAY}
    return {t.name: sms_length(render(t, values).body) for t in all_templates()
            if t.channel == "sms"}
