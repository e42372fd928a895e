from kiosk.domain import carnet_code


def test_minted_codes_check_and_differ():
    codes = {carnet_code.mint() for _ in range(200)}
    assert len(codes) == 200
    assert all(carnet_code.is_valid(code) and len(code) == 10 for code in codes)


def test_a_typo_or_a_swap_is_refused():
    code = carnet_code.mint()
    wrong_digit = code[:4] + str((int(code[4]) + 1) % 10) + code[5:]
    assert not carnet_code.is_valid(wrong_digit)
    swapped = next((code[:i] + code[i + 1] + code[i] + code[i + 2:]
                    for i in range(8) if code[i] != code[i + 1]), None)
    if swapped is not None:
        assert not carnet_code.is_valid(swapped)
    assert not carnet_code.is_valid(code[:-1])
    assert not carnet_code.is_valid("１２３４５６７８９０")  # full-width digits are not ASCII


def test_display_groups_and_normalize_reads_it_back():
    code = carnet_code.mint()
    shown = carnet_code.display(code)
    assert shown.count(" ") == 2
    assert carnet_code.is_valid(shown) and carnet_code.normalize(shown) == code


def test_the_check_digit_is_luhn():
    assert carnet_code._luhn_digit("7992739871") == "3"  # the textbook example
