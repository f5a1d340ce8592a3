from django.core.management.base import BaseCommand, CommandError

from coalition.letters.models import Letter
from coalition.signatures.models import ListSnapshot
from coalition.signatures.selectors import list_snapshot_chain_problems


class Command(BaseCommand):
    help = (
        "Verify the daily snapshots of the public list: recompute each file's SHA-256 from the storage and check "
        "that every day links to the day on record before it. Exits non-zero naming the first broken day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--letter", help="the letter's slug (default: every letter that has snapshots)")

    def handle(self, *args, letter=None, **options):
        letters = Letter.objects.filter(pk__in=ListSnapshot.objects.values("letter")).order_by("slug")
        if letter is not None:
            letters = Letter.objects.filter(slug=letter)
            if not letters:
                raise CommandError(f"No letter with the slug {letter!r}.")
        first_broken = None
        for current in letters:
            checked, problems = list_snapshot_chain_problems(letter=current)
            for day, problem in problems:
                self.stderr.write(f"{current.slug} {day}: {problem}")
            if problems:
                first_broken = first_broken or (current.slug, problems[0][0])
            elif checked:
                self.stdout.write(f"{current.slug}: {checked} snapshots, files and chain intact.")
            else:
                self.stdout.write(f"{current.slug}: no snapshots yet.")
        if first_broken:
            slug, day = first_broken
            raise CommandError(f"The snapshot chain of {slug} is broken; the first broken day is {day}.")
