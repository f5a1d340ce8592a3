from django.urls import path

from coalition.urls import handler400, handler403, handler404, handler500
from coalition.urls import urlpatterns as product_urlpatterns

from . import reference

urlpatterns = [
    path("bench/nothing/", reference.nothing, name="bench_nothing"),
    *product_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
