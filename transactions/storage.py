"""Where deal documents are kept: apart from the public uploads and never reachable by a URL.

Listing photos live in the default storage, which ``SERVE_MEDIA`` or a bucket policy may make
public. Contracts and disclosures must only ever be streamed by the app to people who may see the
deal, so they go to a storage of their own: the ``deal_documents`` alias of ``STORAGES`` when it is
configured; otherwise, next to an S3 default, the same bucket under the ``private/`` prefix (which
no public bucket policy should cover); otherwise a folder beside ``MEDIA_ROOT``, not inside it.
"""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible

STORAGE_ALIAS = "deal_documents"
S3_BACKEND = "storages.backends.s3.S3Storage"
S3_PRIVATE_PREFIX = "private"

# Built backends by their configuration: settings may change (tests), an S3 client is costly.
_backends = {}


def private_root() -> Path:
    """The folder of deal documents on the local disk, beside the public uploads."""
    configured = getattr(settings, "DEAL_DOCUMENTS_ROOT", None)
    return Path(configured) if configured else Path(settings.MEDIA_ROOT).parent / "private"


def deal_document_backend() -> Storage:
    """The storage that currently holds deal documents, as the settings describe it."""
    if STORAGE_ALIAS in settings.STORAGES:
        return storages[STORAGE_ALIAS]
    default = settings.STORAGES.get("default", {})
    if default.get("BACKEND") == S3_BACKEND:
        options = {
            **default.get("OPTIONS", {}),
            "location": S3_PRIVATE_PREFIX,
            "custom_domain": None,
            "querystring_auth": True,
            "file_overwrite": False,
        }
        key = (S3_BACKEND, repr(sorted(options.items())))
        if key not in _backends:
            from storages.backends.s3 import S3Storage

            _backends[key] = S3Storage(**options)
        return _backends[key]
    root = private_root()
    key = ("filesystem", str(root))
    if key not in _backends:
        _backends[key] = FileSystemStorage(location=root)
    return _backends[key]


@deconstructible(path="transactions.storage.DealDocumentStorage")
class DealDocumentStorage(Storage):
    """The storage of document fields: each call goes to :func:`deal_document_backend`."""

    def _open(self, name, mode="rb"):
        return deal_document_backend().open(name, mode)

    def save(self, name, content, max_length=None):
        return deal_document_backend().save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return deal_document_backend().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return deal_document_backend().get_available_name(name, max_length=max_length)

    def delete(self, name):
        deal_document_backend().delete(name)

    def exists(self, name):
        return deal_document_backend().exists(name)

    def size(self, name):
        return deal_document_backend().size(name)

    def listdir(self, path):
        return deal_document_backend().listdir(path)

    def url(self, name):
        # A URL would outlive the permission check; files are streamed by the deal's pages.
        raise ValueError("Deal documents have no URL; download them through the deal.")


deal_document_storage = DealDocumentStorage()
