"""Lesson 7: a cart of JSON-friendly data, and the nested change Django misses."""

from dataclasses import dataclass

from django import forms
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from myapp.course import render_lesson

# Two carts side by side: the same data, one kept by correct code, one not.
CART_KEY = "cart"
BROKEN_CART_KEY = "broken_cart"

MAX_QUANTITY = 99


@dataclass(frozen=True)
class Product:
    name: str
    price_cents: int  # whole cents: an int is JSON-friendly, a Decimal is not


# The catalogue lives in code (in a real shop, in the database). The session
# holds only ids and quantities; names and prices are looked up on each request.
# The ids are strings because JSON object keys are always strings.
PRODUCTS = {
    "1": Product("Notebook", 350),
    "2": Product("Pencil", 80),
    "3": Product("Eraser", 120),
}


def euros(cents):
    return f"€{cents // 100}.{cents % 100:02d}"


# --- Forms ------------------------------------------------------------------


class ProductForm(forms.Form):
    """One product of the catalogue, by id: any other value is a form error."""

    product = forms.ChoiceField(
        choices=[(product_id, item.name) for product_id, item in PRODUCTS.items()]
    )


class QuantityForm(ProductForm):
    """A new quantity for one line: a whole number from 1 to MAX_QUANTITY.

    Zero is refused rather than read as "remove": removing has its own button.
    """

    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY)


# --- Reading the cart ---------------------------------------------------------


def cart_lines(cart):
    """The stored {id: quantity} as lines with names and prices, and the total.

    Session data outlives code: an id the catalogue no longer has is skipped.
    """
    lines = []
    for product_id, quantity in cart.items():
        item = PRODUCTS.get(product_id)
        if item is None:
            continue
        cost = item.price_cents * quantity
        lines.append(
            {"id": product_id, "name": item.name, "quantity": quantity, "cost": cost}
        )
    return lines, sum(line["cost"] for line in lines)


def render_cart(request, form=None):
    """The lesson page with both carts, and the errors of a refused form."""
    lines, total = cart_lines(request.session.get(CART_KEY, {}))
    broken_lines, _ = cart_lines(request.session.get(BROKEN_CART_KEY, {}))
    serializer = request.session.serializer()
    int_keys = {3: 1}
    context = {
        "products": [
            {"id": product_id, "name": item.name, "price": euros(item.price_cents)}
            for product_id, item in PRODUCTS.items()
        ],
        "lines": [{**line, "cost": euros(line["cost"])} for line in lines],
        "total": euros(total),
        "broken_lines": broken_lines,
        "max_quantity": MAX_QUANTITY,
        "form": form,
        # Computed by the configured serializer, not typed in: {3: 1} -> {'3': 1}.
        "int_keys": (int_keys, serializer.loads(serializer.dumps(int_keys))),
    }
    return render_lesson(request, "shopping-cart", context)


# --- Views ------------------------------------------------------------------


@require_GET
def page(request):
    """Show the catalogue and both carts; reading them changes nothing."""
    return render_cart(request)


@require_POST
def broken_add(request):
    """Broken on purpose: changes the cart inside the session and never says so.

    Every add after the one that created the cart is lost when the request ends
    (with SESSION_SAVE_EVERY_REQUEST, which saves every session, it is not).
    """
    form = ProductForm(request.POST)
    if not form.is_valid():
        return render_cart(request, form)
    product_id = form.cleaned_data["product"]
    cart = request.session.setdefault(BROKEN_CART_KEY, {})
    cart[product_id] = cart.get(product_id, 0) + 1
    return redirect(reverse("myapp:shopping-cart") + "#demo")


@require_POST
def add(request):
    """Fixed: the same change in place, then ``modified = True`` so it is saved."""
    form = ProductForm(request.POST)
    if not form.is_valid():
        return render_cart(request, form)
    product_id = form.cleaned_data["product"]
    cart = request.session.setdefault(CART_KEY, {})
    if cart.get(product_id, 0) >= MAX_QUANTITY:
        form.add_error("product", f"Already {MAX_QUANTITY}: the most one line holds.")
        return render_cart(request, form)
    cart[product_id] = cart.get(product_id, 0) + 1
    # The fix: the session cannot see a change inside a value it holds.
    request.session.modified = True
    return redirect(reverse("myapp:shopping-cart") + "#demo")


@require_POST
def set_quantity(request):
    """The other fix: change a copy, then assign it back to the key."""
    form = QuantityForm(request.POST)
    if not form.is_valid():
        return render_cart(request, form)
    cart = dict(request.session.get(CART_KEY, {}))
    cart[form.cleaned_data["product"]] = form.cleaned_data["quantity"]
    request.session[CART_KEY] = cart
    return redirect(reverse("myapp:shopping-cart") + "#demo")


@require_POST
def remove(request):
    """Remove one line by assigning a changed copy; a missing line writes nothing."""
    form = ProductForm(request.POST)
    if not form.is_valid():
        return render_cart(request, form)
    cart = dict(request.session.get(CART_KEY, {}))
    if cart.pop(form.cleaned_data["product"], None) is not None:
        request.session[CART_KEY] = cart
    return redirect(reverse("myapp:shopping-cart") + "#demo")


@require_POST
def empty(request):
    """Empty both carts with pop(): the rest of the session stays."""
    request.session.pop(CART_KEY, None)
    request.session.pop(BROKEN_CART_KEY, None)
    return redirect(reverse("myapp:shopping-cart") + "#demo")


SHOWN = (broken_add, add, set_quantity, remove, empty, ProductForm, QuantityForm)

urlpatterns = [
    # ex: /lessons/shopping-cart/
    path("", page, name="shopping-cart"),
    # ex: /lessons/shopping-cart/broken-add/ (POST product=1)
    path("broken-add/", broken_add, name="shopping-cart-broken-add"),
    # ex: /lessons/shopping-cart/add/ (POST product=1)
    path("add/", add, name="shopping-cart-add"),
    # ex: /lessons/shopping-cart/quantity/ (POST product=1&quantity=3)
    path("quantity/", set_quantity, name="shopping-cart-quantity"),
    # ex: /lessons/shopping-cart/remove/ (POST product=1)
    path("remove/", remove, name="shopping-cart-remove"),
    # ex: /lessons/shopping-cart/empty/ (POST)
    path("empty/", empty, name="shopping-cart-empty"),
]
