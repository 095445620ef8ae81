"""QR cards encode the household's public link, on the configured public address."""

from pwa_app.services import cards


def test_cards_use_the_public_base_url_when_configured(app, client, login_as, create_household):
    household = create_household("NI-01")
    login_as("staff")
    app.config["PUBLIC_BASE_URL"] = "https://visits.example.go.th/"
    try:
        from pwa_app.web.households import card_url

        with app.test_request_context("/"):
            assert card_url(household) == f"https://visits.example.go.th/h/{household.qr_token}"
    finally:
        app.config["PUBLIC_BASE_URL"] = None


def test_the_cards_sheet_has_one_qr_per_household_with_its_code(client, login_as, create_household):
    households = [create_household("BL-03") for _ in range(3)]
    create_household("BL-04")
    login_as("staff")
    page = client.get("/households/cards?village=BL-03").get_data(as_text=True)
    assert page.count('<svg class="qr"') == 3
    for household in households:
        assert household.code in page
    assert "สแกนเพื่อติดต่อ อพม." in page


def test_qr_svg_scales_with_its_box():
    svg = str(cards.qr_svg("https://example.org/h/abc", "NI-01-0001"))
    assert svg.startswith('<svg class="qr"')
    assert 'width="' not in svg.split(">")[0]
    assert 'aria-label="NI-01-0001"' in svg
