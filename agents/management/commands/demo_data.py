"""Load the demo brokerages, agents, listings and photos (see ``agents.demo``)."""

from django.core.management.base import BaseCommand

from agents.demo import DEMO_PASSWORD, demo_data_load


class Command(BaseCommand):
    help = (
        "Create two demo brokerages with agents, listings and photos. Deterministic for a seed; "
        "does nothing when the demo brokerages already exist."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="Same seed, same data.")
        parser.add_argument("--listings", type=int, default=200, help="Listings in all.")
        parser.add_argument("--photos", type=int, default=2, help="Photos per listing.")
        parser.add_argument(
            "--process-photos",
            action="store_true",
            default=None,
            help="Make the photo variants now instead of queueing them for the photo worker "
            "(the default when CELERY_TASK_ALWAYS_EAGER is set).",
        )

    def handle(self, *args, seed, listings, photos, process_photos, **options):
        result = demo_data_load(
            seed=seed,
            listings=max(listings, 0),
            photos_per_listing=max(photos, 0),
            stdout=self.stdout,
            process_photos=process_photos,
        )
        if result.created:
            queued = result.photos - result.photos_processed
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {result.brokerages} brokerages, {result.offices} offices, "
                    f"{result.teams} teams, {result.agents} agents, {result.listings} listings "
                    f"({result.listing_updates} later price/status changes) and {result.photos} "
                    f"photos ({result.photos_processed} processed, {queued} queued for the "
                    f"photo worker) in {result.seconds:.1f} s."
                )
            )
        self.stdout.write(f"\nDemo logins (password for every user: {DEMO_PASSWORD}):")
        for login in result.logins:
            self.stdout.write(
                f"  {login.username:<18} {login.role:<10} {login.brokerage:<14} {login.name}"
            )
