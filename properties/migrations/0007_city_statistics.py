"""Statistics on the upper-cased city, on PostgreSQL only.

The listing indexes that lead with the city are partial, and PostgreSQL keeps no statistics
for a partial index's expressions: without these it takes any city for a small one and picks
the wrong plan for a big town (the city filter, and buyer matching).
"""

from django.db import migrations

CREATE = (
    "CREATE STATISTICS IF NOT EXISTS property_city_upper "
    "ON (upper(city::text)) FROM properties_property"
)
DROP = "DROP STATISTICS IF EXISTS property_city_upper"


def create_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("properties", "0006_mls_provider_index")]

    operations = [migrations.RunPython(create_statistics, drop_statistics)]
