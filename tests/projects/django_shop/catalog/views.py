from rest_framework import generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from catalog.models import Category, Product
from catalog.serializers import CategorySerializer, ProductSerializer, RatioSerializer


class CategoryViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Product.objects.select_related("category")
    serializer_class = ProductSerializer


class RatioView(generics.GenericAPIView):
    serializer_class = RatioSerializer

    def get(self, request: Request, a: int, b: int) -> Response:
        return Response({"ratio": a / b})  # b == 0 is an unhandled ZeroDivisionError: a 500
