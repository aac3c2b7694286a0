from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from catalog import views

router = DefaultRouter()
router.register("categories", views.CategoryViewSet)
router.register("products", views.ProductViewSet)


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("health", health),
    path("api/", include(router.urls)),
    path("api/ratio/<int:a>/<int:b>/", views.RatioView.as_view(), name="ratio"),
]
