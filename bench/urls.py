from django.urls import path

from coalition.urls import handler400, handler500
from coalition.urls import urlpatterns as product_urlpatterns

from . import reference

urlpatterns = [path("bench/insert/", reference.insert_one, name="bench_insert"), *product_urlpatterns]

__all__ = ["handler400", "handler500", "urlpatterns"]
