from connectors.zalo.formatting import merge_and_split, with_numbered_buttons

BUTTONS = [{"title": "Làm căn cước lần đầu", "payload": "1"}, {"title": "Cấp lại căn cước", "payload": "2"}]


def test_consecutive_utterances_become_one_message():
    assert merge_and_split(["Xin chào", "Anh/chị cần gì ạ?"]) == ["Xin chào\n\nAnh/chị cần gì ạ?"]


def test_long_answer_is_split_on_paragraph_boundaries():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(6)]  # ~600 characters each
    messages = merge_and_split(["\n\n".join(paragraphs)])
    assert len(messages) == 2
    assert all(len(m) <= 2000 for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_over_the_limit_is_cut_at_a_line_or_space():
    messages = merge_and_split(["chữ " * 1200])
    assert all(len(m) <= 2000 for m in messages)
    assert " ".join(messages).split() == ("chữ " * 1200).split()


def test_empty_turn_sends_nothing():
    assert merge_and_split(["", "  \n\n "]) == []


def test_buttons_become_a_numbered_list_once():
    assert with_numbered_buttons("Ý anh/chị là…?", BUTTONS) == "Ý anh/chị là…?\n1. Làm căn cước lần đầu\n2. Cấp lại căn cước"
    already = "Ý anh/chị là…?\n1. Làm căn cước lần đầu\n2. Cấp lại căn cước"
    assert with_numbered_buttons(already, BUTTONS) == already
