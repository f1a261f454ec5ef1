"""Lesson 7: the shopping cart, and the nested change Django does not notice."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from myapp.lessons.shopping_cart import BROKEN_CART_KEY, CART_KEY, MAX_QUANTITY
from myapp.progress import PROGRESS_KEY
from tests.html import parse
from tests.sessions import put_in_session, stored

PAGE = reverse("myapp:shopping-cart")
DEMO = PAGE + "#demo"
ADD = reverse("myapp:shopping-cart-add")
BROKEN_ADD = reverse("myapp:shopping-cart-broken-add")
QUANTITY = reverse("myapp:shopping-cart-quantity")
REMOVE = reverse("myapp:shopping-cart-remove")
EMPTY = reverse("myapp:shopping-cart-empty")
COOKIE = settings.SESSION_COOKIE_NAME


class TestFixedAdd:
    def test_adds_are_kept_across_requests(self, client, engine):
        """Two adds of one product and one of another: {"1": 2, "3": 1}."""
        for product in ("1", "1", "3"):
            response = client.post(ADD, {"product": product})
            assert response.status_code == 302
            assert response["Location"] == DEMO
        assert client.session[CART_KEY] == {"1": 2, "3": 1}

    def test_each_add_saves_and_sets_the_cookie(self, client, engine):
        """The second add changes only a nested value; modified = True still
        makes Django save it."""
        client.post(ADD, {"product": "2"})
        response = client.post(ADD, {"product": "2"})
        assert response.cookies[COOKIE].value

    def test_the_inspector_shows_the_exact_cart(self, client, engine):
        client.post(ADD, {"product": "1"})
        client.post(ADD, {"product": "1"})
        client.post(ADD, {"product": "2"})
        page = parse(client.get(PAGE))
        assert page.inspector_items()[CART_KEY] == '{"1": 2, "2": 1}'
        assert page.text("cart-line-1").startswith("Notebook")
        assert page.by_id("quantity-1")["value"] == "2"
        assert page.text("cart-total") == "€7.80"  # 2 x 3.50 + 0.80

    def test_adding_past_the_maximum_is_refused(self, client, engine):
        put_in_session(client, **{CART_KEY: {"1": MAX_QUANTITY}})
        before = stored(client)
        response = client.post(ADD, {"product": "1"})
        assert response.status_code == 200
        assert any(
            str(MAX_QUANTITY) in error for error in parse(response).field_errors()
        )
        assert stored(client) == before

    def test_adding_completes_the_lesson(self, client, engine):
        client.post(ADD, {"product": "1"})
        assert "shopping-cart" in client.session[PROGRESS_KEY]["done"]


class TestBrokenAdd:
    def test_the_first_add_works_and_every_later_add_is_lost(self, client, engine):
        """setdefault() creates the cart, a top-level change, so the first add
        is saved; every later add changes only a nested value and is lost,
        the same product or another."""
        client.post(BROKEN_ADD, {"product": "1"})
        assert client.session[BROKEN_CART_KEY] == {"1": 1}
        for product in ("1", "2", "1", "3"):
            response = client.post(BROKEN_ADD, {"product": product})
            assert response.status_code == 302
            assert response["Location"] == DEMO
            assert client.session[BROKEN_CART_KEY] == {"1": 1}

    def test_the_page_says_every_later_add_is_lost(self, client, db):
        """Not "only the second": the page states what the test above proves."""
        text = parse(client.get(PAGE)).text("deeper-seems-to-work")
        assert "Every add after the first is lost" in text
        assert "Only the second" not in text

    def test_the_lost_add_saves_nothing_at_all(self, client, engine):
        """modified stays False: no save, no Set-Cookie, the store is as before."""
        client.post(BROKEN_ADD, {"product": "1"})
        before = stored(client)
        response = client.post(BROKEN_ADD, {"product": "3"})
        assert COOKIE not in response.cookies
        assert stored(client) == before

    def test_the_change_is_visible_in_its_own_request_only(self, client, engine):
        """The request's session object holds {"1": 2}; the store keeps {"1": 1}."""
        client.post(BROKEN_ADD, {"product": "1"})
        response = client.post(BROKEN_ADD, {"product": "1"})
        in_request = response.wsgi_request.session
        assert in_request[BROKEN_CART_KEY] == {"1": 2}
        assert in_request.modified is False
        assert client.session[BROKEN_CART_KEY] == {"1": 1}

    def test_progress_tracking_does_not_rescue_it(self, client, engine):
        """A session that the lesson never completed: the lost add does not
        trigger the progress write, which would have saved the change too."""
        put_in_session(client, **{BROKEN_CART_KEY: {"1": 1}})
        client.post(BROKEN_ADD, {"product": "1"})
        session = client.session
        assert session[BROKEN_CART_KEY] == {"1": 1}
        assert PROGRESS_KEY not in session

    def test_another_top_level_write_saves_the_nested_change(self, client, engine):
        """Once anything marks the session modified, the whole session is saved,
        the nested change included."""
        put_in_session(client, **{BROKEN_CART_KEY: {"1": 1}})
        session = client.session
        session[BROKEN_CART_KEY]["1"] += 1  # nested: modified stays False
        assert session.modified is False
        session["last_seen"] = "now"  # top level: modified
        session.save()
        client.cookies[COOKIE] = session.session_key  # signed_cookies: new value
        assert client.session[BROKEN_CART_KEY] == {"1": 2}

    def test_save_every_request_hides_the_bug(self, client, engine, settings):
        settings.SESSION_SAVE_EVERY_REQUEST = True
        client.post(BROKEN_ADD, {"product": "1"})
        client.post(BROKEN_ADD, {"product": "1"})
        assert client.session[BROKEN_CART_KEY] == {"1": 2}

    def test_the_page_shows_the_broken_cart_unchanged(self, client, engine):
        client.post(BROKEN_ADD, {"product": "2"})
        client.post(BROKEN_ADD, {"product": "2"})
        page = parse(client.get(PAGE))
        assert page.text("broken-line-2") == "Pencil 1"
        assert page.inspector_items()[BROKEN_CART_KEY] == '{"2": 1}'


class TestQuantityAndRemove:
    def test_set_quantity_replaces_the_line(self, client, engine):
        client.post(ADD, {"product": "1"})
        response = client.post(QUANTITY, {"product": "1", "quantity": "7"})
        assert response.status_code == 302
        assert client.session[CART_KEY] == {"1": 7}

    def test_quantities_come_back_as_ints_and_ids_as_strings(self, client, engine):
        client.post(QUANTITY, {"product": "3", "quantity": str(MAX_QUANTITY)})
        cart = client.session[CART_KEY]
        assert cart == {"3": MAX_QUANTITY}
        assert all(isinstance(key, str) for key in cart)
        assert all(isinstance(value, int) for value in cart.values())

    def test_remove_deletes_one_line(self, client, engine):
        client.post(ADD, {"product": "1"})
        client.post(ADD, {"product": "2"})
        client.post(REMOVE, {"product": "1"})
        assert client.session[CART_KEY] == {"2": 1}
        assert not parse(client.get(PAGE)).has_id("cart-line-1")

    def test_removing_a_line_not_in_the_cart_writes_nothing(self, client, engine):
        client.post(ADD, {"product": "1"})
        before = stored(client)
        response = client.post(REMOVE, {"product": "2"})
        assert response.status_code == 302
        assert COOKIE not in response.cookies
        assert stored(client) == before

    def test_empty_pops_both_carts_and_keeps_the_rest(self, client, engine):
        client.get("/ssession")
        client.post(ADD, {"product": "1"})
        client.post(BROKEN_ADD, {"product": "1"})
        client.post(EMPTY)
        session = client.session
        assert CART_KEY not in session
        assert BROKEN_CART_KEY not in session
        assert session["sname"] == "irfan"


class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"product": "9", "quantity": "2"}, "Product"),
            ({"product": "", "quantity": "2"}, "Product"),
            ({"product": "1", "quantity": "abc"}, "Quantity"),
            ({"product": "1", "quantity": "2.5"}, "Quantity"),
            ({"product": "1", "quantity": "0"}, "Quantity"),
            ({"product": "1", "quantity": "-3"}, "Quantity"),
            ({"product": "1", "quantity": str(MAX_QUANTITY + 1)}, "Quantity"),
            ({"product": "1", "quantity": "9" * 40}, "Quantity"),
            ({"product": "1", "quantity": ""}, "Quantity"),
            ({"product": "1"}, "Quantity"),
        ],
        ids=[
            "unknown-product",
            "no-product",
            "text",
            "fraction",
            "zero",
            "negative",
            "over-max",
            "huge",
            "empty",
            "missing",
        ],
    )
    def test_bad_quantity_form_changes_nothing(self, client, engine, data, field):
        """A form error naming the field; the stored session is identical."""
        client.post(ADD, {"product": "1"})
        before = stored(client)
        response = client.post(QUANTITY, data)
        assert response.status_code == 200
        page = parse(response)
        assert page.field_errors()
        assert f"{field}:" in page.text("cart-errors")
        assert "nothing in your session changed" in page.text("cart-errors")
        assert COOKIE not in response.cookies
        assert stored(client) == before

    def test_the_refused_value_stays_in_the_form(self, client, db):
        """The learner sees what was refused, not a reset form."""
        page = parse(client.post(QUANTITY, {"product": "9", "quantity": "abc"}))
        assert page.by_id("any-quantity")["value"] == "abc"
        selected = page.select("#any-product option[selected]")
        assert [option["value"] for option in selected] == ["9"]

    @pytest.mark.parametrize("url", [ADD, BROKEN_ADD, REMOVE])
    @pytest.mark.parametrize("product", ["9", "", "one", "1 "])
    def test_unknown_products_are_refused_everywhere(
        self, client, engine, url, product
    ):
        client.post(ADD, {"product": "1"})
        client.post(BROKEN_ADD, {"product": "1"})
        before = stored(client)
        response = client.post(url, {"product": product})
        assert response.status_code == 200
        assert parse(response).field_errors()
        assert stored(client) == before

    def test_the_page_shows_the_serializers_answer_for_int_keys(self, client, db):
        """Computed by the configured serializer: {3: 1} comes back as {'3': 1}."""
        text = parse(client.get(PAGE)).text("int-keys")
        assert text.startswith("{3: 1} is stored")
        assert text.endswith("comes back as {'3': 1} .")

    @pytest.mark.parametrize("url", [ADD, BROKEN_ADD, QUANTITY, REMOVE, EMPTY])
    def test_every_change_is_post_only(self, client, engine, url):
        client.post(ADD, {"product": "1"})
        before = stored(client)
        assert client.get(url, {"product": "1", "quantity": "5"}).status_code == 405
        assert stored(client) == before

    @pytest.mark.parametrize("url", [ADD, QUANTITY, REMOVE, EMPTY])
    @pytest.mark.usefixtures("engine")
    def test_posts_without_csrf_token_are_refused(self, url):
        client = Client(enforce_csrf_checks=True)
        put_in_session(client, **{CART_KEY: {"1": 2}})
        response = client.post(url, {"product": "1", "quantity": "5"})
        assert response.status_code == 403
        assert client.session[CART_KEY] == {"1": 2}


class TestPage:
    def test_a_stale_id_in_the_cart_is_skipped(self, client, engine):
        """An id the catalogue no longer has does not break the page."""
        put_in_session(client, **{CART_KEY: {"1": 1, "42": 5}})
        page = parse(client.get(PAGE))
        assert page.has_id("cart-line-1")
        assert not page.has_id("cart-line-42")
        assert page.text("cart-total") == "€3.50"

    def test_every_button_names_its_product(self, client, db):
        """Out of its table row (a screen reader's list of buttons) an "Add one"
        or "Remove" still says which product it acts on: three adds, three
        broken adds, and one remove for the one line in the cart."""
        names = {"1": "Notebook", "2": "Pencil", "3": "Eraser"}
        client.post(ADD, {"product": "2"})
        page = parse(client.get(PAGE))
        checked = []
        for form in page.forms():
            button = form.find("button", attrs={"name": "product"})
            if button is None:
                continue
            assert names[button["value"]] in button.get_text(" "), form["action"]
            checked.append((form["action"], button["value"]))
        assert sorted(checked) == sorted(
            [(ADD + "#demo", product) for product in names]
            + [(BROKEN_ADD + "#demo", product) for product in names]
            + [(REMOVE + "#demo", "2")]
        )

    def test_every_button_posts_with_a_token_and_lands_on_the_demo(
        self, client, engine
    ):
        """parse() fails on a POST form without a token; every form's action
        brings the learner back to #demo, a refused form's errors included."""
        client.post(ADD, {"product": "1"})
        page = parse(client.get(PAGE))
        actions = {form["action"] for form in page.forms()}
        assert actions == {
            url + "#demo" for url in (ADD, BROKEN_ADD, QUANTITY, REMOVE, EMPTY)
        }

    def test_the_snippet_is_the_fixed_add(self, client, db):
        """The core quotes the running fix: the change in place, then modified."""
        figures = parse(client.get(PAGE)).by_id("explanation").select("figure.excerpt")
        assert len(figures) == 1
        code = figures[0].pre.get_text()
        assert "cart[product_id] = cart.get(product_id, 0) + 1" in code
        assert code.rstrip().endswith("request.session.modified = True")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="first passphrase")


def login_as(client, user):
    """Django's own login() on the client's session, as a login view calls it."""
    client.force_login(user)
    return client.cookies[COOKIE].value


class TestLogin:
    """What django.contrib.auth.login() does to an anonymous cart (5.2 and 6.1)."""

    def test_logging_in_keeps_the_cart_under_a_new_key(
        self, client, server_engine, ada
    ):
        """Nobody logged in before: cycle_key(), the data kept."""
        client.post(ADD, {"product": "1"})
        anonymous_key = client.cookies[COOKIE].value
        assert login_as(client, ada) != anonymous_key
        assert client.session[CART_KEY] == {"1": 1}

    def test_logging_in_as_another_user_flushes_the_cart(
        self, client, server_engine, ada
    ):
        grace = User.objects.create_user("grace", password="second passphrase")
        login_as(client, grace)
        client.post(ADD, {"product": "1"})
        login_as(client, ada)
        assert CART_KEY not in client.session

    def test_the_same_user_with_a_stale_hash_is_flushed(
        self, client, server_engine, ada
    ):
        """The password changed since: the stored auth hash no longer matches."""
        login_as(client, ada)
        client.post(ADD, {"product": "1"})
        ada.set_password("a new passphrase")
        ada.save()
        login_as(client, ada)
        assert CART_KEY not in client.session

    def test_the_same_user_again_keeps_the_key_and_the_cart(
        self, client, server_engine, ada
    ):
        """Same user, hash matching: neither a flush nor a new key."""
        key = login_as(client, ada)
        client.post(ADD, {"product": "1"})
        assert login_as(client, ada) == key
        assert client.session[CART_KEY] == {"1": 1}

    def test_the_page_states_the_four_cases(self, client, db):
        text = parse(client.get(PAGE)).text("login-and-the-cart")
        assert "Nobody. It cycles the key" in text
        assert "A different user. It flushes" in text
        assert "password has changed since" in text
        assert "neither flushes nor cycles" in text
