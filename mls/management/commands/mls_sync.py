from django.core.management.base import BaseCommand, CommandError

from mls.choices import RunKind
from mls.models import MLSProvider
from mls.services import SyncAlreadyRunning, provider_sync


class Command(BaseCommand):
    help = "Sync one MLS provider now, in the foreground, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--provider", required=True, help="The provider's name.")
        parser.add_argument("--full", action="store_true", help="Read the whole feed again.")
        parser.add_argument(
            "--reconcile", action="store_true", help="Take listings that left the feed off market."
        )

    def handle(self, *args, provider, full, reconcile, **options):
        matches = list(MLSProvider.objects.filter(name=provider).select_related("brokerage"))
        if not matches:
            raise CommandError(f"No MLS provider is named {provider!r}.")
        if len(matches) > 1:
            names = ", ".join(str(match.brokerage) for match in matches)
            raise CommandError(f"Several brokerages have a provider named {provider!r}: {names}.")
        kind = RunKind.RECONCILE if reconcile else RunKind.FULL if full else RunKind.INCREMENTAL
        try:
            run = provider_sync(provider=matches[0], kind=kind, progress=self._progress)
        except SyncAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        summary = (
            f"{run.get_state_display()}: {run.fetched} read, {run.created} created, "
            f"{run.updated} updated, {run.unchanged} unchanged, {run.off_market} off market, "
            f"{run.failed} failed"
        )
        if run.throughput:
            summary += f" ({run.throughput} listings/s)"
        self.stdout.write(summary + (f"\n{run.message}" if run.message else ""))
        if run.state != "succeeded":
            raise CommandError(run.message or f"The sync ended {run.get_state_display()}.")

    def _progress(self, run):
        width = 30
        if run.total:
            done = min(run.fetched / run.total, 1)
            bar = "#" * int(done * width)
            line = f"[{bar:<{width}}] {run.fetched}/{run.total}"
        else:
            line = f"{run.fetched} read"
        self.stdout.write(f"\r{line}  ", ending="")
        self.stdout.flush()
