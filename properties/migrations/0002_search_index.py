"""A GIN index for listing full-text search, on PostgreSQL only.

Other databases search with substring matches and have no such index, so the index is not
part of the model state: it is created and dropped here, on PostgreSQL alone.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "property_search_gin"


def _index():
    from properties.selectors import search_vector

    return GinIndex(search_vector(), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("properties", "Property"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("properties", "Property"), _index())


class Migration(migrations.Migration):
    dependencies = [("properties", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
