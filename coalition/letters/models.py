from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.core.memo import forget_now_and_at_commit


def letter_cache_key(slug):
    """Where the selectors keep the letter and its current versions (letters.selectors.letter_current)."""
    return f"letters:current:{slug}"


def letter_cache_forget():
    """Forget the cached letter now and again once the change is committed: a page read in between would store the
    rows as they were before the commit. Any change to any letter or version forgets it (a renamed slug or a version
    moved between letters included); the cache holds only the configured letter."""
    forget_now_and_at_commit(letter_cache_key(settings.COALITION_LETTER_SLUG))


class Letter(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200, help_text=_("Internal name, for organisers."))
    is_open = models.BooleanField(default=True, help_text=_("Untick to stop accepting signatures."))
    closed_reason = models.CharField(
        _("why the letter is closed"),
        max_length=300,
        blank=True,
        help_text=_('Shown at the top of the letter once it is closed, e.g. "It was delivered on 1 March". Optional.'),
    )
    closed_reason_fr = models.CharField(
        _("why the letter is closed, in French"), max_length=300, blank=True, help_text=_("Optional.")
    )
    launched_on = models.DateField(
        _("launch date"), null=True, blank=True, help_text=_("Shown beside the title. Optional.")
    )
    press_contact = models.CharField(
        _("press contact"),
        max_length=300,
        blank=True,
        help_text=_('Shown on the letter and press pages, e.g. "press@creators-coalition.org". Optional.'),
    )
    faq = models.TextField(
        _("questions and answers"),
        blank=True,
        help_text=_(
            "Shown under the letter. One entry per block, blocks separated by a blank line: the first line is the "
            "question, the lines after it the answer."
        ),
    )
    faq_fr = models.TextField(
        _("questions and answers, in French"), blank=True, help_text=_("Same form. Empty: French readers see none.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    def closed_reason_in(self, language):
        return (self.closed_reason_fr if language == "fr" else "") or self.closed_reason

    def faq_in(self, language):
        """[(question, [answer lines])] in `language`: a French reader never gets English answers to French
        questions mixed in; with no French text they get none."""
        text = self.faq_fr if language == "fr" else self.faq
        entries = []
        for block in text.replace("\r\n", "\n").split("\n\n"):
            lines = [line.strip() for line in block.split("\n") if line.strip()]
            if len(lines) >= 2:
                entries.append((lines[0], lines[1:]))
        return entries

    def current_version(self, language=None):
        """The newest published version in `language`, falling back to the default language."""
        published = self.versions.filter(published_at__isnull=False, published_at__lte=timezone.now())
        for lang in (language, settings.LANGUAGE_CODE):
            version = published.filter(language=lang).order_by("-number").first()
            if version:
                return version
        return published.order_by("-number").first()


class LetterVersion(models.Model):
    """The exact words people sign. Once signed, a version's words never change."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(max_length=300)
    body = models.TextField(help_text=_("Plain text; a blank line starts a new paragraph."))
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["letter", "-number", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "number", "language"], name="letterversion_unique_number_language"
            ),
        ]

    def __str__(self):
        return f"{self.letter} v{self.number} ({self.language})"

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    @property
    def paragraphs(self):
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    def has_signatures(self):
        return self.pk is not None and self.signatures.exists()

    def clean(self):
        if not self.has_signatures():
            return
        stored = LetterVersion.objects.get(pk=self.pk)
        if (stored.title, stored.body, stored.language, stored.number) != (
            self.title,
            self.body,
            self.language,
            self.number,
        ):
            raise ValidationError(_("People have signed this version: publish a new version instead of editing it."))


# Signals rather than save()/delete(): the admin's "delete selected" and loaddata do not call those. Queryset
# update() and data migrations send nothing; what they change shows within LETTER_CACHE_SECONDS.
@receiver([post_save, post_delete], sender=Letter)
@receiver([post_save, post_delete], sender=LetterVersion)
def _letter_changed(**kwargs):
    letter_cache_forget()
