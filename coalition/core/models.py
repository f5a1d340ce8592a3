from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _

from .memo import forget_now_and_at_commit, memo

CACHE_KEY = "core:switches"


class Switches(models.Model):
    """Site-wide switches organisers flip in the admin, without a deploy. There is one row."""

    signing_paused = models.BooleanField(
        default=False, help_text=_("Stop taking signatures for a while; the form says so politely.")
    )
    pause_reason = models.CharField(
        _("why signing is paused"),
        max_length=300,
        blank=True,
        help_text=_('Shown at the top of the letter, e.g. "while we check a wave of fake names". Optional.'),
    )
    pause_reason_fr = models.CharField(
        _("why signing is paused, in French"), max_length=300, blank=True, help_text=_("Optional.")
    )
    under_attack = models.BooleanField(
        default=False, help_text=_("Tighten the rate limits on signing, e.g. during a flood of fake signatures.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("switches")
        verbose_name_plural = _("switches")

    def __str__(self):
        return str(_("Site switches"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)
        # Now, and again once committed: a request in between would store the row as it was before (for 30 s).
        forget_now_and_at_commit(CACHE_KEY)

    def pause_reason_in(self, language):
        return (self.pause_reason_fr if language == "fr" else "") or self.pause_reason

    @classmethod
    def current(cls):
        """The switches, shared by every request of this process for up to MEMO_SECONDS: read them, never change
        them (change them with save())."""
        return _switches_current()


@memo()
def _switches_current():
    switches = cache.get(CACHE_KEY)
    if switches is None:
        switches, _ = Switches.objects.get_or_create(pk=1)
        cache.set(CACHE_KEY, switches, 30)
    return switches


class StoredFile(models.Model):
    """A file the site wrote (the daily snapshots of the list), kept in the database so that every web host
    serves the same bytes (coalition/core/storage.py). Its content is in chunks, read one at a time."""

    name = models.CharField(max_length=300, unique=True)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class StoredFileChunk(models.Model):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "index"], name="storedfilechunk_one_per_index")]

    def __str__(self):
        return f"{self.file.name} #{self.index}"
