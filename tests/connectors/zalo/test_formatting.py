from connectors.zalo.formatting import cap_buttons, merge_and_split, turn_messages, with_numbered_buttons, zalo_buttons

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


def test_rasa_buttons_become_query_buttons_within_zalo_limits():
    long_title = "Đăng ký khai sinh cho trẻ em sinh ra " + "ở nước ngoài " * 10
    buttons = zalo_buttons([{"title": long_title, "payload": "1"}, {"title": "Gặp cán bộ", "payload": "gặp cán bộ"},
                            {"title": "Quá dài", "payload": "x" * 1001}, {"title": "", "payload": "3"}])
    assert [b.payload for b in buttons] == ["1", "gặp cán bộ"]
    assert all(b.type == "oa.query.show" for b in buttons)
    assert len(buttons[0].title) == 100 and buttons[0].title.endswith("…")
    assert buttons[1].to_json() == {"title": "Gặp cán bộ", "type": "oa.query.show", "payload": "gặp cán bộ"}


def test_a_turn_keeps_at_most_five_buttons_one_per_payload():
    buttons = zalo_buttons([{"title": f"Lựa chọn {i}", "payload": str(i)} for i in range(1, 8)])
    capped = cap_buttons(buttons + buttons[:2])
    assert [b.payload for b in capped] == ["1", "2", "3", "4", "5"]


def test_buttons_ride_on_the_last_message_of_a_split_turn():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(6)]
    buttons = zalo_buttons(BUTTONS)
    messages = turn_messages(["\n\n".join(paragraphs), with_numbered_buttons("Ý anh/chị là…?", BUTTONS)], buttons)
    assert len(messages) == 2
    assert messages[0].buttons == () and messages[1].buttons == tuple(buttons)
    assert messages[1].text.endswith("2. Cấp lại căn cước")
    assert turn_messages([""], buttons) == []


def test_buttons_whose_words_the_text_asks_for_are_not_numbered_again():
    asked = "Câu trả lời có giúp được anh/chị không? (nhắn “có” hoặc “không”)"
    assert with_numbered_buttons(asked, [{"title": "Có", "payload": "Có"}, {"title": "Không", "payload": "Không"}]) == asked
    clarify = "Ý anh/chị là…?\n1. Đăng ký khai sinh"
    assert with_numbered_buttons(clarify, [{"title": "Đăng ký khai sinh", "payload": "1"},
                                           {"title": "Gặp cán bộ", "payload": "gặp cán bộ"}]) == clarify + "\n2. Gặp cán bộ"
