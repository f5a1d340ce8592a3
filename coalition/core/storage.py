"""A Django storage in the site's own database: what one web host writes, every other host reads.

The files the site writes are few and written rarely (one snapshot of the list a day), so the database every host
already shares is enough; no file system is shared between hosts. A file is kept in chunks of CHUNK_SIZE bytes and
read back a chunk at a time, so a snapshot of a million rows never sits whole in a worker's memory.

For an S3-compatible object store instead, set FILE_STORAGE_BACKEND to django-storages' backend (README).
"""

import io

from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.utils.deconstruct import deconstructible

from .models import StoredFile, StoredFileChunk

CHUNK_SIZE = 1024 * 1024


class _ChunkReader(io.RawIOBase):
    """Reads a stored file's chunks in order, one query each; it knows the size, so it never asks for one more."""

    def __init__(self, file_id, size, first_chunk):
        self.file_id = file_id
        self.left = size
        self.index = 1
        self.buffer = first_chunk

    def readable(self):
        return True

    def readinto(self, target):
        if not self.buffer and self.left > 0:
            chunks = StoredFileChunk.objects.filter(file_id=self.file_id, index=self.index)
            data = chunks.values_list("data", flat=True).first()
            if data is None:
                raise OSError(f"chunk {self.index} of stored file {self.file_id} is missing")
            self.buffer = bytes(data)
            self.index += 1
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        self.left -= n
        return n


@deconstructible
class DatabaseStorage(Storage):
    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Files in the database storage are written with save(), not opened for writing.")
        # The file's size and its first chunk in one query: a file under CHUNK_SIZE costs no other.
        first = (
            StoredFileChunk.objects.filter(file__name=name, index=0)
            .values_list("file_id", "file__size", "data")
            .first()
        )
        if first is None:
            empty = StoredFile.objects.filter(name=name, size=0).values_list("pk", flat=True).first()
            if empty is None:
                raise FileNotFoundError(name)
            first = (empty, 0, b"")
        file_id, size, data = first
        handle = io.BufferedReader(_ChunkReader(file_id, size, bytes(data)), buffer_size=CHUNK_SIZE)
        return File(handle if "b" in mode else io.TextIOWrapper(handle), name=name)

    @transaction.atomic
    def _save(self, name, content):
        stored = StoredFile.objects.create(name=name, size=0)
        size = 0
        if hasattr(content, "seek"):
            content.seek(0)
        for index, chunk in enumerate(content.chunks(CHUNK_SIZE)):
            data = chunk.encode() if isinstance(chunk, str) else chunk
            StoredFileChunk.objects.create(file=stored, index=index, data=data)
            size += len(data)
        StoredFile.objects.filter(pk=stored.pk).update(size=size)
        return name

    def exists(self, name):
        return StoredFile.objects.filter(name=name).exists()

    def delete(self, name):
        StoredFile.objects.filter(name=name).delete()

    def size(self, name):
        try:
            return StoredFile.objects.values_list("size", flat=True).get(name=name)
        except StoredFile.DoesNotExist:
            raise FileNotFoundError(name) from None

    def get_created_time(self, name):
        try:
            return StoredFile.objects.values_list("created_at", flat=True).get(name=name)
        except StoredFile.DoesNotExist:
            raise FileNotFoundError(name) from None

    get_modified_time = get_created_time

    def listdir(self, path):
        prefix = f"{path.rstrip('/')}/" if path else ""
        directories, files = set(), []
        for name in StoredFile.objects.filter(name__startswith=prefix).values_list("name", flat=True):
            head, sep, tail = name[len(prefix) :].partition("/")
            if sep:
                directories.add(head)
            else:
                files.append(head)
        return sorted(directories), sorted(files)

    def url(self, name):
        raise NotImplementedError("Files in the database are served by the views that own them.")
