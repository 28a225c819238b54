import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from agents.models import Brokerage
from mls.services import SyncAlreadyRunning
from properties.cma import sales_import


class Command(BaseCommand):
    help = (
        "Load past sales from a CSV (RESO column names, or --mapping) through the brokerage's "
        '"Imported sales" CSV feed, for CMAs.'
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file of sales.")
        parser.add_argument("--brokerage", help="The brokerage's slug (needed if several).")
        parser.add_argument(
            "--mapping",
            help='Column → RESO name, as JSON (\'{"price": "ClosePrice"}\') or a JSON file.',
        )

    def handle(self, *args, file, brokerage, mapping, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        brokerages = Brokerage.objects.all()
        if brokerage:
            brokerages = brokerages.filter(slug=brokerage)
        matches = list(brokerages[:2])
        if len(matches) != 1:
            raise CommandError(
                "Name the brokerage with --brokerage SLUG."
                if matches
                else f"No brokerage {brokerage!r}."
            )
        try:
            run = sales_import(
                brokerage=matches[0],
                content=path.read_bytes(),
                filename=path.name,
                mapping=_mapping(mapping),
                progress=self._progress,
            )
        except (ValidationError, SyncAlreadyRunning) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        self.stdout.write("")
        self.stdout.write(
            f"{run.get_state_display()}: {run.fetched} read, {run.created} created, "
            f"{run.updated} updated, {run.unchanged} unchanged, {run.failed} failed"
            + (f"\n{run.message}" if run.message else "")
        )
        if run.state != "succeeded":
            raise CommandError(run.message or f"The import ended {run.get_state_display()}.")

    def _progress(self, run):
        self.stdout.write(f"\r{run.fetched}/{run.total or '?'} read  ", ending="")
        self.stdout.flush()


def _mapping(text):
    if not text:
        return None
    path = Path(text)
    try:
        value = json.loads(path.read_text() if path.is_file() else text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--mapping is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise CommandError("--mapping is a JSON object of column → RESO name.")
    return {str(k): str(v) for k, v in value.items()}
