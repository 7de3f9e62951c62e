import pytest

from bot.faq.subcases import COVERING_QUESTIONS, load_subcases, typed_with_diacritics
from bot.text.normalize import normalize


@pytest.fixture(scope="module")
def subcases():
    return load_subcases()


@pytest.mark.parametrize("text, named", [
    ("Em lấy chồng Hàn Quốc thì đăng ký kết hôn ở đâu", ("foreign", "foreigner")),
    ("em lay chong han quoc thi dang ky ket hon o dau", ("foreign",)),
    ("My Korean wife needs a birth certificate for our son", ("foreign", "foreigner")),
    ("cong ty toi muon chung thuc chu ky giam doc", ("organisation",)),
    ("bố mẹ cho con đất có phải nộp thuế không", ("tax",)),
    ("xây nhà không phép bị phạt bao nhiêu", ("penalty",)),
    ("tiền sử dụng đất có được trả góp không", ("debt",)),
    ("nộp lệ phí online bị trừ tiền 2 lần xin hoàn tiền", ("refund",)),
    ("đã có giấy phép rồi giờ muốn điều chỉnh thiết kế", ("change",)),
    ("hàng xóm lấn đất nhà tôi", ("complaint",)),
    # paying a tax, said without diacritics (a lone "thue" is also rent; "dong thue" is also a lease)
    ("xay xong co phai ke khai nop thue nha dat gi khong", ("tax",)),
    ("moi nam phai dong thue dat phi nong nghiep bao nhieu", ("tax",)),
    # the fee paid, asked back
    ("huy yeu cau thi co duoc tra lai phi khong", ("refund",)),
    ("My application was rejected. Will I get the fee back?", ("refund",)),
    # something lost: a verb of losing near what was lost, not a death or a cost ("mất")
    ("mẹ em bị mất điện thoại ở chợ, trong máy có app VNeID", ("lost",)),
    ("tôi làm mất bản chính hợp đồng trước khi kịp sang tên", ("lost",)),
    # something done, cancelled; a payment put off; another paper
    ("muốn huỷ hợp đồng đã công chứng thì làm ở đâu", ("change",)),
    ("Can I submit my application online now and pay the fee later?", ("debt",)),
    ("xác nhận sơ yếu lý lịch thì làm ở ủy ban hay công an xã", ("other_document",)),
    # a country's short name after a word of travel, side or person; alone it is also a name or a day
    ("giấy ủy quyền mang sang Nhật dùng thì có phải hợp pháp hóa không", ("foreign",)),
    ("bà tôi giờ sang Mỹ ở với con thì có bị cắt trợ cấp không", ("foreign", "change")),
    ("con toi dang du hoc o Uc, dang ky nghia vu quan su the nao", ("foreign",)),
    ("I'm a Thai national living in the ward. Can I file a complaint in English?", ("foreign", "foreigner", "complaint")),
    # an entry made by mistake, to be corrected
    ("nộp hồ sơ online mà chọn nhầm xã, giờ sửa lại được không", ("change",)),
    ("bộ phận một cửa có làm việc chủ nhật không", ()),
    ("anh Đức ở thôn 3 nhờ tôi hỏi thủ tục khai sinh", ()),
    ("bố mẹ cháu đi làm ở Hàn nên cháu ở với ông bà, đăng ký nghĩa vụ quân sự", ()),
    # property mortgaged now carries a debt; mortgaging as an act does not name one
    ("Đất tôi đang thế chấp ngân hàng, muốn tặng cho con một phần thì có tách thửa được không?", ("debt",)),
    ("Ủy quyền bán, thế chấp nhà đất có được lập bằng giấy ủy quyền chứng thực chữ ký không?", ()),
    # paying arrears
    ("dong bhyt bi tre 5 thang, gio dong bu duoc khong", ("debt",)),
    # a negation before some other word, or one that folds into another word, denies nothing
    ("đất đang tranh chấp, không biết có làm sổ được không", ("complaint",)),
    ("đất chưa thu hồi nhưng nằm trong quy hoạch, có cấp sổ lần đầu được không", ("change",)),
    ("nhà tôi còn nợ thuế đất mấy năm nay", ("debt", "tax")),
    ("không tranh chấp gì nhưng giờ hàng xóm lại tranh chấp ranh đất", ("complaint",)),
    # the writer abroad, not a relative there; a lost paper named right after "mất"
    ("Em đang làm việc ở Đức, giấy ủy quyền em ký bên này thì chứng thực ở đâu", ("abroad",)),
    ("Toi dang o Duc, muon lam giay uy quyen cho me o nha", ("abroad",)),
    ("Tôi ở Nhật, số điện thoại Nhật không dùng được Zalo, có kênh nào khác không", ("abroad",)),
    ("I'm in the US. Can I pay the fee for my application with PayPal?", ("abroad",)),
    ("Mất giấy chứng nhận hộ kinh doanh?", ("lost",)),
    # a benefit stopped; a filed case overdue
    ("me toi dang nhan tro cap, thang sau co luong huu thi co phai bao xa dung tro cap khong", ("change",)),
    ("làm căn cước hơn 1 tháng rồi vẫn chưa có thẻ, hỏi thì cứ bảo chờ", ("delayed",)),
    ("Trung tâm bảo trợ của tôi có được đứng tên nộp đơn xác định khuyết tật cho các em không", ("organisation",)),
    # a country where a Vietnamese works is a place abroad; a foreign national is a person too
    ("Tôi sắp đi xuất khẩu lao động Đài Loan, ủy quyền cho vợ ở nhà thế nào", ("foreign",)),
    ("Chồng tôi quốc tịch Hàn, ra phường chứng thực chữ ký được không", ("foreign", "foreigner")),
    ("ông anh rể người Nhật qua chơi, báo lưu trú thế nào", ("foreign", "foreigner")),
    ("I'm a Korean citizen living here, can the ward certify my signature", ("foreign", "foreigner")),
    # land a cooperative once gave, a paper it wrote: background, not an organisation applying
    ("Đất nhà tôi được hợp tác xã giao từ năm 1993, làm sổ lần đầu cần gì", ()),
    ("có giấy giao đất viết tay của HTX hồi đó, giờ làm sổ đỏ được không", ()),
    ("My parents received land from the cooperative decades ago", ()),
    ("Giáo xứ chúng tôi có mảnh đất làm nhà nguyện chưa có sổ đỏ", ("organisation",)),
    # a registration changed, moved or paused; an officer's conduct; a flat-rate tax; instalments
    ("giờ muốn bán thêm cà phê thì bổ sung ngành nghề làm sao ạ", ("change",)),
    ("nha minh muon nghi ban tam thoi, co can bao len xa khong", ("change",)),
    ("vào Bình Dương đi làm thì có phải chuyển đăng ký nghĩa vụ quân sự không", ("change",)),
    ("Tôi muốn phản ánh thái độ của cán bộ này thì gửi đâu", ("complaint",)),
    ("the officer was rude to my mother", ("complaint",)),
    ("doanh thu 40 triệu một tháng thì nộp khoán hay tự kê khai", ("tax",)),
    ("hai bên thỏa thuận trả làm 3 đợt, sang tên được chưa", ("debt",)),
    ("I manage a nursing home; can our facility register a resident's death", ("organisation",)),
    ("ông anh rể bên Đài qua chơi, báo lưu trú thế nào", ("foreign",)),
    ("làm căn cước 3 tuần rồi mà chưa thấy đâu", ("delayed",)),
    # the appointment, then the time gone by; not an appointment slip held while asking where to look
    ("cán bộ hẹn 3 ngày mà đã 2 tuần, hỏi thì bảo đang tìm", ("delayed",)),
    ("hẹn 7 ngày mà giờ gần 5 tuần chưa thấy thẻ", ("delayed",)),
    ("e nộp hs r, có giấy hẹn có mã r mà h mún coi tới đâu r thì xem ở đâu", ()),
    # a day off docked from one's wages is not money to be refunded
    ("xin nghỉ một buổi là bị trừ tiền chuyên cần, nộp hồ sơ online được không", ()),
    # a copy of an old record, a lost contract; a wrong detail; the difference paid; parts
    ("năm 2012 bố tôi tách thửa, giờ cần bản sao hồ sơ tách thửa lúc đó", ("reissue",)),
    ("Mất hợp đồng công chứng mua đất", ("lost",)),
    ("thẻ căn cước của em bị sai ngày sinh so với giấy khai sinh", ("change",)),
    ("bị thu 200.000 thay vì 100.000, phần chênh lệch có hoàn được không", ("refund",)),
    ("Thuế sang tên chia đợt được không?", ("debt", "tax")),
    # another paper beside the topic; a divorce is the court's
    ("My noodle shop is registered; where do I get the food safety certificate", ("other_document",)),
    ("hai vợ chồng muốn ly hôn thì nộp đơn ở xã được không", ("other_document", "other_body")),
    ("đã ly hôn theo quyết định công nhận thuận tình ly hôn của Tòa án", ("other_document",)),
    # a paper, then what happened to it; damaged by the citizen; made again
    ("giấy khai sinh bản chính bị rách hết rồi", ("reissue",)),
    ("lỡ làm ướt bản gốc giấy chứng nhận", ("reissue",)),
    ("giờ muốn làm lại giấy kết hôn thì sao", ("reissue",)),
    # something filed, cancelled or taken back; assessed again
    ("đã nộp rồi giờ muốn rút lại đơn được không", ("change",)),
    ("How can I cancel my application?", ("change",)),
    ("muốn đề nghị đánh giá lại mức độ khuyết tật", ("change",)),
    # money asked back, or taken in error
    ("nộp nhầm lệ phí hai lần thì sao", ("refund",)),
    ("lệ phí đó có được trả lại tiền không", ("refund",)),
    # the state's office abroad; a tax said by its name
    ("giấy tờ do đại sứ quán cấp thì chứng thực ở đâu", ("foreign",)),
    ("hộ kinh doanh có phải nộp lệ phí môn bài không", ("tax",)),
    ("hàng xóm xây lấn sang đất nhà tôi", ("complaint",)),
    ("My fiance has big loans, am I responsible for his debts?", ("debt",)),
    # fifth session: a religious body, a school in English; a paper dropped or eaten; money paid,
    # then asked back; dues to the State every year; a paper cancelled
    ("Giáo xứ muốn xây lại nhà thờ thì có cần giấy phép không", ("organisation",)),
    ("I run a small private kindergarten and want insurance for our teachers", ("organisation",)),
    ("giấy chứng nhận bị chuột cắn nát một góc", ("reissue",)),
    ("em đánh rơi giấy xác nhận hôm qua rồi", ("lost",)),
    ("đóng 15 nghìn rồi mới biết online được miễn, có hoàn được không", ("refund",)),
    ("My bank charged me twice for the fee", ("refund",)),
    ("lên thổ cư rồi thì hằng năm phải nộp tiền gì", ("tax",)),
    ("cho khách ở qua đêm thì phải nộp cho nhà nước khoản gì", ("tax",)),
    ("giờ không muốn ủy quyền nữa thì hủy giấy đó sao", ("change",)),
    ("nhà đang vay tiền, sổ đỏ ngân hàng giữ", ("debt",)),
    ("mất biển số xe máy", ("lost",)),
    # eighth session: money overpaid; a receipt deleted or asked again; a translation; a case
    # overdue; a person in custody; another body's matter; an inheritance; money asked as damages
    ("vậy phần nộp dư có được hoàn lại không", ("refund",)),
    ("lỡ xóa mất biên lai điện tử rồi", ("reissue",)),
    ("giờ cần lấy lại biên lai để thanh toán với cơ quan", ("reissue",)),
    ("Can the commune certify my translation of my diploma?", ("other_document",)),
    ("làm căn cước hơn 1 tháng rồi vẫn chưa có thẻ", ("delayed",)),
    ("người ủy quyền đang bị tạm giam thì chứng thực chữ ký thế nào", ("detained",)),
    ("trường thu quỹ quá cao, tôi muốn khiếu nại thì gửi phòng giáo dục hay xã", ("other_body", "complaint")),
    ("làm thừa kế mảnh đất thì văn phòng công chứng đòi trích lục khai tử", ("other_document",)),
    ("cán bộ trả lời sai, có được bồi thường tiền xe không", ("refund",)),
    ("How do we get our family taken off the poor household list?", ("change",)),
    ("I applied 3 weeks ago and still haven't received my card", ("delayed",)),
    # tenth session: a lost paper apart from one asked again; an amended permit; where a benefit
    # is paid moved; social insurance one joins
    ("giấy độc thân xin tháng trước em làm mất rồi, chưa dùng lần nào", ("lost",)),
    ("bằng tốt nghiệp bản chính mất rồi, chỉ còn bản sao", ("lost",)),
    ("I lost it before using it", ("lost",)),
    ("xin lại giấy xác nhận mới, nộp lại giấy cũ chưa dùng", ("reissue",)),
    ("How do we get the permit amended?", ("change",)),
    ("chuyển nơi nhận trợ cấp về tỉnh khác thế nào", ("change",)),
    ("mẹ em muốn tham gia bảo hiểm xã hội tự nguyện", ("other_document",)),
    ("can she join voluntary social insurance at the commune?", ("other_document",)),
    ("viện dưỡng lão bên em có cụ mới mất, cơ sở nuôi dưỡng đi khai tử thay được không", ("organisation",)),
    ("hội phụ nữ xã muốn mua bảo hiểm y tế cho hội viên", ("organisation",)),
    # eleventh session: a service that did not happen; a shelter; a benefit's payment moved
    ("đến đúng lịch mà không được gặp chủ tịch, tôi phản ánh ở đâu", ("complaint",)),
    ("trưởng thôn làm việc thiếu công bằng", ("complaint",)),
    ("Can the shelter itself register the death?", ("organisation",)),
    ("nay ve que thi lam sao chuyen tien tro cap ve xa nay", ("change",)),
    # twelfth session: a fine given as the reason to do it right is not asked about
    ("Hàng xóm bảo phải đăng ký hộ kinh doanh ko thì bị phạt, cần giấy tờ gì", ()),
    ("phải đăng ký hộ kinh doanh cho đàng hoàng kẻo bị phạt", ()),
    ("không đăng ký hộ kinh doanh thì có bị phạt không", ("penalty",)),
    # twelfth session: money asked back a few words after it is named
    ("đã đóng tiền đủ 10 bản, giờ chỉ cần 4 bản. Tiền 6 bản không lấy có được trả lại không", ("refund",)),
])
def test_a_message_names_its_sub_case(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


@pytest.mark.parametrize("text", [
    "thuê nhà đăng ký tạm trú",  # thuê (rent) is not thuế (tax)
    "thue nha dang ky tam tru",  # without diacritics a lone "thue" is either: not a cue
    "hợp đồng thuê phòng trọ có phải công chứng",  # "đồng thuê" folds like "đóng thuế"
    "hop dong thue phong tro co phai cong chung",  # "hợp đồng thuê", a lease, not "đóng thuế"
    "rác thải để ngoài đường lâu ngày",  # "thai" is a Vietnamese syllable, not the English word
    "vợ tôi mang thai 7 tháng, sinh xong làm khai sinh cần gì",  # pregnant, not Thai
    "đồng ý cho con đăng ký khai sinh",
    "Thủ tục đăng ký khai sinh tại cấp xã năm 2026",
    "Bố tôi bị mất năm ngoái, làm giấy khai tử mất bao lâu",  # a death, a duration
    # a case said not to be the case (bot.faq.negation)
    "đất nhà tôi có sổ đỏ, không tranh chấp, muốn tách thửa cho con",
    "dat o on dinh khog tranh chap voi ai, lam so lan dau can gi",
    "Tôi bán hàng ở chợ, không có công ty nào đóng bảo hiểm cho, muốn tự mua bảo hiểm y tế",
    # someone else abroad is a story; a province and a hamlet named like a country and a pagoda
    "Con em vào lớp 1, chồng em đang làm ở Nhật, em xin xác nhận cư trú online được không",
    "Con trai tôi đang làm việc ở Nhật, vợ chồng tôi muốn tách thửa cho cháu",
    "chồng em ở Nhật, em muốn đăng ký tạm trú cho hai mẹ con",
    "Bạn đọc Quang (Lào Cai) hỏi: xây nhà một tầng ở thôn có phải xin giấy phép không",
    "tôi là Mận ở xóm Chùa, muốn mua bảo hiểm y tế hộ gia đình",
    "làm giấy chứng tử cho người mất cần giấy tờ gì",  # a death, then the papers
    "bố tôi mất, giấy chứng nhận quyền sử dụng đất đứng tên bố thì sang tên thế nào",
    "làm thẻ căn cước mất bao lâu",  # a duration, not a loss
    "giấy tờ làm khai sinh gồm những gì, làm lại từ đầu có mất phí không",
    "xe chở vật liệu làm hỏng đường bê tông",  # "vật" is not VAT; a road is not a paper
    "trả kết quả ở đâu, có được trả lại bản gốc không",  # a paper handed back is no refund
    "bố tôi mất, thẻ căn cước của bố có phải nộp lại không",  # a death, then the card
    "bố mất, sổ đỏ đứng tên bố thì làm sao",
    "làm sổ đỏ mất bao lâu",
    "nop du ho so thi bao lau co ket qua",  # "nộp đủ hồ sơ", not money overpaid
    "có quyết định của tòa án huyện từ năm 2020, giờ xin giấy xác nhận độc thân",  # a decision made before
    "tôi đi từ bến xe về ủy ban mất bao lâu",  # "đi từ" is not "đi tù"
    "nhà có người bị tâm thần, xin xác nhận khuyết tật",  # a disability, not incapacity
    "con no di hoc xa nen toi lam khai sinh cho chau",  # "con nó", not "còn nợ"
    "dang ky ho kinh doanh lam mat bao lau",  # "làm mất bao lâu": it takes
    "cong an nhan tin bao duyet tai khoan dinh danh roi",  # "định danh rồi", not "đánh rơi"
    "My brother lost a leg in an accident",  # a disability, not a paper
    "bà nội em bệnh nặng rồi mất, giờ làm khai tử ở đâu",  # a death
    "chồng bị tai biến, nợ nần chồng chất, xin xét hộ nghèo giữa năm được không",  # a household in debt
    "có dì tôi thì đi Đài Loan mấy năm rồi, bà tôi tròn 75 tuổi",  # a relative went abroad
    "sắp đi xuất khẩu lao động, ủy quyền cho vợ nhận sổ bảo hiểm",  # leaving to work abroad
])
def test_everyday_words_name_no_sub_case(subcases, text):
    assert subcases.named_in(normalize(text)) == ()


@pytest.mark.parametrize("text, named", [
    ("cty đòi giấy ko tiền án tiền sự, làm trên vneid mấy bước", ()),  # the company asks for the paper
    ("Hai vợ chồng em làm công ty, thuê phòng trọ sắp được hai năm", ()),  # works there
    ("đk xe online có phải nộp lại phiếu xuất xưởng ko", ()),  # a factory's release slip
    ("Our company requires a criminal record certificate", ()),
    ("Con gái tôi vừa tròn 14 tuổi, nhà trường nhắc phải đi làm căn cước", ()),
    ("Công ty bảo tôi bổ sung giấy xác nhận nơi cư trú", ()),  # the employer tells the citizen
    ("Em thuê công ty thiết kế vẽ nhà xong rồi, giờ xin phép xây dựng cần gì", ()),  # a service hired
    ("Em làm công nhân được công ty đóng BHYT rồi, giờ mua cho ba mẹ", ()),  # the employer pays
    ("sổ bảo hiểm ở công ty cũ em chưa kịp nhận", ()),  # a former employer
    ("công ty tôi muốn chứng thực chữ ký giám đốc", ("organisation",)),  # the company is the applicant
    ("Hồ sơ cấp giấy phép xây dựng nhà xưởng cho doanh nghiệp nhỏ", ("organisation",)),
    ("Our cooperative wants to pay the fees for 30 members", ("organisation",)),
    ("em làm công ty, công ty em muốn đăng ký xe cho công ty", ("organisation",)),  # one passing, one not
    # twelfth session: an employer named with an article or by the citizen's job, a new employer
    ("thuê phòng trọ để làm việc cho một công ty điện tử", ()),
    ("tôi là công nhân tại một công ty may ở Bình Dương", ()),
    ("Công ty mới yêu cầu em nộp lý lịch tư pháp", ()),
    ("công ty phái cử yêu cầu nộp phiếu lý lịch tư pháp số 2", ()),
    ("Công ty đang yêu cầu bổ sung giấy tờ", ()),
    ("Chồng em chạy xe ôm ko có bảo hiểm công ty", ()),  # insurance through an employer
    ("bên công ty cấp nước đòi giấy tờ chứng minh nơi cư trú", ()),  # a utility asks for the paper
    ("Nhà trường dặn nộp kèm giấy xác nhận cư trú", ()),
    ("Trường học của con đòi sổ hộ khẩu mà giờ không còn sổ nữa", ()),
    ("My company wants proof of residence", ()),
    ("Nhà trường xin xác nhận cư trú cho cả lớp?", ("organisation",)),  # the school applies
    ("giờ công ty cắt giảm nên chị nghỉ ở nhà, tính mở tiệm tạp hóa", ()),  # a former employer
    ("cả nhà góp vốn mở một xưởng mộc nhỏ đóng bàn ghế", ()),  # the household's own workshop
    ("muốn đăng ký để nhận đơn của mấy công ty", ()),  # customers
    ("nộp trên hệ thống đăng ký doanh nghiệp được không", ()),
    ("Mấy anh em góp vốn mở doanh nghiệp tư nhân làm đồ gỗ", ("organisation",)),
])
def test_an_organisation_the_citizen_works_for_or_that_asks_for_the_paper_is_a_passing_mention(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


@pytest.mark.parametrize("text", [
    "nha toi o nha thue, thu nhap thap thi co du tieu chuan ho can ngheo khong",  # nhà thuê, not thuế thu nhập
    "ba tôi mất mà nhà chưa làm hồ sơ tiền mai táng",  # "nhà chưa" folds into "nhà chùa"
])
def test_phrases_that_fold_into_everyday_ones_are_not_matched_without_diacritics(subcases, text):
    assert subcases.named_in(normalize(text)) == ()


def test_a_class_is_covered_only_when_several_of_the_faqs_questions_name_it(subcases):
    mention = "chồng em người Hàn Quốc, về quê đăng ký tạm trú được không"
    assert "foreign" not in subcases.covered_by([mention])
    assert "foreign" in subcases.covered_by([mention] * COVERING_QUESTIONS)


def test_every_class_says_the_case_in_vietnamese(subcases):
    assert subcases.classes
    for c in subcases.classes:
        assert c.says and (c.accented or c.near_accented)


@pytest.mark.parametrize("text, named", [
    # a complaint about someone other than the commune: khieu_nai_to_cao's answer is about the commune's decisions
    ("The bank charged me an unexpected fee. Can I file a complaint with the commune?", ("complaint", "other_party")),
    ("Toi bi CSGT phat nguoi ma khong dong y, khieu nai o UBND xa duoc khong", ("complaint", "other_party")),
    ("bên bán không chịu giao sổ đỏ để sang tên, tôi phải kiện ở đâu?", ("other_party",)),
    ("chủ trọ ko chịu xác nhận cho e đky tạm trú thì e phải lm sao", ("other_party",)),  # refuses their part
    # the same bodies without a word of complaint are the citizen's story
    ("Hàng xóm bảo em làm đơn xin xét hộ nghèo", ()),
    ("Con sinh ở bệnh viện huyện, làm khai sinh cần gì", ()),
    # a complaint about a decision is about the commune's decision, whoever else the story names
    ("Nhà tôi mâu thuẫn với hàng xóm, giờ tôi muốn khiếu nại quyết định xử phạt của Chủ tịch xã", ("penalty", "complaint")),
    # a decision another body made is complained about to that body
    ("toi muon khieu nai quyet dinh xu phat cua CSGT thi gui don cho ai", ("penalty", "complaint", "other_decision")),
    ("bị Công an xã lập biên bản phạt 400 nghìn, tôi thấy không đúng thì khiếu nại ở đâu", ("penalty", "complaint", "other_decision")),    # an officer's manner judged is a complaint; praised, it is not
    ("công an phường bảo phải về quê mới xin được giấy, thái độ rất khó chịu, tôi muốn phản ánh", ("complaint",)),
    ("cán bộ có thái độ niềm nở, cảm ơn xã", ()),
])
def test_a_complaint_names_another_party_only_beside_a_word_of_complaint_and_not_about_a_decision(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


@pytest.mark.parametrize("text, named", [
    # a registered detail changed: a verb of change, then within a few words what is changed
    ("toi vua doi sang so dien thoai moi, tai khoan VNeID thi cap nhat so moi the nao", ("change",)),
    ("How do I change the phone number linked to my VNeID account?", ("change",)),
    ("chuyển nhà rồi thì đổi địa chỉ trên thẻ căn cước ở đâu", ("change",)),
    # the detail alone, or far from the verb, is not a change
    ("làm căn cước có cần số điện thoại không", ()),
    ("đổi giờ hẹn được không, em để lại số điện thoại rồi", ()),
])
def test_a_change_of_a_registered_detail_is_a_verb_of_change_near_the_detail(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


@pytest.mark.parametrize("text", [
    "Tôi chạy xe từ ngoài quốc lộ vào, muốn tìm bộ phận một cửa",  # ngoài quốc lộ, not ngoại quốc
    "Xin hỏi người lao động tự do mua bảo hiểm y tế hộ gia đình ở đâu",  # lao động, not Lào
    "Tuần trước bà em mất rồi, nhà muốn xin tiền mai táng",  # trước bà, not trước bạ
    "Tôi muốn làm sổ cho cả nhà lẫn đất thì có được không",  # lẫn đất, not lấn đất
    "Anh ơi nếu đo đạc lại thì thực tế là 205 m2 thì sao",  # thì thực, not thị thực
])
def test_a_message_typed_with_diacritics_is_matched_as_typed(subcases, text):
    assert typed_with_diacritics(normalize(text))
    assert subcases.named_in(normalize(text)) == ()


@pytest.mark.parametrize("text, named", [
    ("em lay chong han quoc thi dang ky ket hon o dau", ("foreign",)),  # typed without: folded
    ("Em lấy chồng Hàn Quốc, xin cấp lại giấy khai sinh", ("foreign", "foreigner", "reissue")),
    ("Công ty em muốn xin giấy phép, company cần gì", ("organisation",)),  # a foreign word, folded
    ("My Korean wife needs a birth certificate for our son", ("foreign", "foreigner")),  # English: folded
    ("My kids tore our red book. Can the commune issue a new one?", ("reissue",)),
    ("I paid the full fee, can I get the difference back?", ("refund",)),
    ("Can he have his military service postponed while he studies?", ("change",)),
])
def test_a_message_typed_without_diacritics_or_in_english_is_matched_folded(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


def test_no_foreign_word_is_a_vietnamese_syllable_without_diacritics(subcases):
    """`words` are matched folded: a single one that is a Vietnamese syllable ("vat", "thai") would
    match everyday words ("vật", "thái")."""
    import glob
    import re

    import yaml

    from bot.text.fold import fold_diacritics
    syllables = set()
    for path in glob.glob("data/faq/*.yml"):
        for questions in yaml.safe_load(open(path, encoding="utf-8"))["questions"].values():
            for q in questions:
                syllables.update(fold_diacritics(w) for w in re.findall(r"[^\W\d_]+", q.lower()) if fold_diacritics(w) != w)
    syllables.update({"loan", "lan", "long", "nam", "an", "tan", "ban", "can"})  # names, places ("Đài Loan")
    for c in subcases.classes:
        for word in (*c.words, *c.with_words, *c.unless_words):
            assert not all(part in syllables for part in word.split()), (c.name, word)


@pytest.mark.parametrize("text, asks", [
    ("lệ phí trước bạ là mấy phần trăm giá xe", ("percent",)),
    ("diện tích tối thiểu để tách thửa là bao nhiêu m2", ("area",)),
    ("diện tích tối thiểu được tách thửa ở tỉnh Thanh Hóa hiện nay là bao nhiêu", ("area",)),
    # by when the citizen must do it, not how long the office takes
    ("mua xe may moi ve thi trong vong bao nhieu ngay phai di dang ky bien so", ("deadline",)),
    ("Người mất thì trong bao lâu phải đi đăng ký khai tử?", ("deadline",)),
    ("Within how many days must a death be registered?", ("deadline",)),
    ("đăng ký xe bao lâu thì có biển", ()),
    ("tạm trú được bao lâu thì phải làm lại", ()),
    ("nhà thuê 18 m2 cho 2 người ở có đủ điều kiện đăng ký thường trú không", ("area",)),
    ("xây nhà 100 m2 trên đất ở có phải xin giấy phép không", ()),
    ("ai ký quyết định công nhận hộ nghèo", ("signer",)),
    ("khai tử muộn có cần người làm chứng không", ("witness",)),
    ("mua đất bằng giấy tay có trưởng thôn ký làm chứng, giờ làm sổ được không", ()),  # told, not asked
    ("làm chứng minh thư ở đâu", ()),
    ("chưa đăng ký nghĩa vụ quân sự giờ bị phạt mấy triệu", ("fine",)),
    ("không đăng ký tạm trú thì mức phạt thế nào", ("fine",)),
    ("xe mua 2 tháng chưa làm biển, CSGT có phạt không mức bao nhiêu", ("fine",)),
    ("đăng ký trễ có bị phạt không", ()),  # whether, not how much: an answer saying "có thể bị phạt" gives it
    ("mật độ xây dựng và khoảng lùi tối đa của lô đất 80m2 là bao nhiêu", ("planning",)),
    ("tiền chuyển mục đích tính theo giá đất nông nghiệp được lấy theo loại nào", ("land_price",)),
    # how long a paper stays valid, not how long it takes
    ("Phiếu lý lịch tư pháp có thời hạn bao lâu, hết hạn rồi có dùng lại được không?", ("validity", "still_valid")),
    ("ban sao trich luc cu cap nam 2015 con dung duoc khong", ("still_valid",)),
    ("sổ hộ khẩu nay không còn dùng được nữa, xin giấy gì thay", ()),  # told, not asked
    ("Does a signature certified at the commune expire?", ("still_valid",)),
    ("How long is the residence confirmation valid?", ("validity",)),
    ("làm lý lịch tư pháp thời hạn giải quyết bao lâu", ()),
    ("phiếu lý lịch tư pháp dùng được bao lâu", ("validity",)),
    ("giấy xác nhận cư trú xin hôm nay thì dùng được trong bao lâu", ("validity",)),
    ("giấy này có giá trị trong bao nhiêu ngày", ("validity",)),
    ("Lý lịch tư pháp hạn bao lâu?", ("validity",)),
    ("khiếu nại quyết định của xã thì hạn bao lâu", ()),  # a deadline: no paper named
    # a deadline or a processing time, not how long a paper is valid
    ("khieu nai quyet dinh cua xa thi gui don cho ai, han bao lau", ()),
    ("cấp phép xây dựng được bao lâu thì có", ()),
    # whether what someone charges is lawful
    ("chu tro doi thu them 200 nghin moi lan dang ky tam tru, co dung khong", ("legality",)),
    ("tiệm photo ghi photo công chứng, v có hợp pháp ko", ("legality",)),
    ("nghe nói làm online được miễn lệ phí, có đúng không", ()),
    # a sum of money asked, not a number of days or a sum told in a story
    ("mức hỗ trợ mai táng là bao nhiêu", ("amount",)),
    ("làm cái này hết bao nhiêu tiền vậy", ("amount",)),
    ("How much is the monthly disability allowance?", ("amount",)),
    ("làm liên thông trên VNeID mất mấy ngày", ()),
    ("thu nhập bình quân mỗi người bao nhiêu một tháng thì được xếp hộ cận nghèo", ("amount",)),
    ("thu nhập tháng hổng được bao nhiêu, xin xét hộ nghèo ở đâu", ()),
    ("hộ nghèo được hỗ trợ tiền điện hằng tháng bao nhiêu", ("amount",)),
    # how long before a paper runs out it must be renewed is a deadline
    ("tạm trú của em phải gia hạn trước ngày hết hạn bao nhiêu ngày", ("deadline",)),
    ("phải làm gia hạn mấy ngày trước khi hết hạn", ("deadline",)),
    ("tiền thuốc tháng nào cũng mấy triệu, xin giấy xác nhận ở đâu", ()),
    ("Tạm trú sắp hết hạn, phải đi gia hạn trước hạn bao nhiêu ngày?", ("deadline",)),
    ("Người mất được bao lâu thì hết hạn nộp đề nghị hỗ trợ?", ("deadline",)),
    ("bản sao y có thời hạn bn tháng v", ("validity",)),
    ("xin dc giấy phép r mà chưa xây, để bn lâu thì giấy phép hết hạn", ("validity",)),
    # sent or received by post
    ("sao y xong có gửi kết quả qua bưu điện về nhà được không", ("post",)),
    ("đăng ký xe xong nhận biển qua bưu điện được không", ("post",)),
    ("Can I get the result by post?", ("post",)),
    # the office's hours and number asked beside another procedure
    ("Chiều thứ Sáu mấy giờ thì đóng cửa ạ, với lại làm căn cước cho con thì cần gì?", ("hours",)),
    ("bộ phận một cửa làm việc từ mấy giờ", ("hours",)),
    ("làm xong mất mấy giờ thì có kết quả", ()),
    ("số điện thoại của trung tâm hành chính công xã là số mấy", ("phone",)),
    ("làm VNeID cho con thì dùng số điện thoại của ai", ()),  # the citizen's own number
])
def test_a_message_asks_a_kind_of_detail(subcases, text, asks):
    assert subcases.asked_in(normalize(text), text) == asks


def test_whether_an_answer_gives_a_detail_is_read_from_its_text(subcases):
    assert subcases.given_in("Lệ phí trước bạ 0,5% giá trị nhà đất.") == frozenset({"percent"})
    # that a minimum exists is not the figure: five blind sets' writers asked the number of a person
    assert subcases.given_in("Thửa mới phải đạt diện tích tối thiểu do UBND tỉnh quy định.") == frozenset()
    assert subcases.given_in("Diện tích nhà ở tối thiểu 8 m² sàn/người.") == frozenset({"area"})
    assert subcases.given_in("Chủ tịch UBND xã ra quyết định công nhận.") == frozenset({"signer"})
    assert subcases.given_in("Nộp tờ khai tại xã; lệ phí theo quy định.") == frozenset()
    # a deadline from an event is the citizen's; a processing time is the office's
    assert subcases.given_in("Đăng ký trong 15 ngày kể từ ngày mất.") == frozenset({"deadline"})
    assert subcases.given_in("Báo trước 23 giờ cùng ngày.") == frozenset({"deadline"})
    assert subcases.given_in("Thời gian giải quyết: 03 ngày làm việc kể từ khi nhận đủ hồ sơ.") == frozenset()
    assert subcases.given_in("Không đăng ký có thể bị xử phạt hành chính.") == frozenset()
    assert subcases.given_in("Không đăng ký bị phạt từ 500.000 đồng.") == frozenset({"fine", "amount"})
    assert subcases.given_in("Giấy có giá trị 6 tháng.") == frozenset({"validity", "still_valid"})
    # that it ends, and when, answers whether it still holds, not how long it lasts
    assert subcases.given_in("Giấy có thời hạn sử dụng và hết giá trị khi thông tin cư trú thay đổi.") == frozenset({"still_valid"})
    assert subcases.given_in("Bản điện tử có giá trị như bản giấy.") == frozenset()  # worth, not how long
    # another paper's end is not this paper's validity
    assert subcases.given_in("Sổ hộ khẩu đã hết giá trị từ 01/01/2023.") == frozenset()
    assert subcases.given_in("Nhận kết quả qua dịch vụ bưu chính.") == frozenset({"post"})
    assert subcases.given_in("Giờ làm việc: {office_hours}; gọi {hotline}.") == frozenset({"hours", "phone"})
    assert subcases.given_in("Nộp trong giờ làm việc.") == frozenset()
    # a sum, the unit's fee, a waiver or where the sum is told answers "how much"; "theo quy định" does not
    assert subcases.given_in("Lệ phí: {fee_ket_hon}.") == frozenset({"amount"})
    assert subcases.given_in("Lệ phí: được miễn khi nộp trực tuyến.") == frozenset({"amount"})
    assert subcases.given_in("Mức trợ cấp 500.000 đồng/tháng.") == frozenset({"amount"})
    assert subcases.given_in("Mức hỗ trợ theo quy định của tỉnh.") == frozenset()
    assert subcases.is_ask("percent") and not subcases.is_ask("tax")
    assert subcases.says("witness") == "người làm chứng"


def test_a_faq_that_gives_a_paper_again_does_not_by_that_answer_for_a_lost_one():
    """`xac_nhan_hon_nhan` answers a new certificate asked for while the unused one is handed back;
    a lost one cannot be handed back (three blind sets asked it). `trich_luc_ho_tich` answers the loss."""
    from bot.decision import IntentScore
    from bot.understanding import load_understanding

    understanding = load_understanding()

    def decided(text: str, faq: str):
        return understanding.decide(text, (IntentScore(f"faq_{faq}", 0.92), IntentScore("not_covered", 0.02)))

    lost = decided("Em xin giấy xác nhận độc thân tháng trước mà làm mất rồi, giờ xin lại thì sao ạ?", "xac_nhan_hon_nhan")
    assert (lost.kind, lost.reason) == ("handoff", "not_covered:xac_nhan_hon_nhan:lost")
    again = decided("Giấy xác nhận độc thân cũ chưa dùng đã hết hạn, xin lại giấy mới thế nào?", "xac_nhan_hon_nhan")
    assert again.kind == "answer"
    assert decided("Giấy khai sinh bản chính bị thất lạc thì xin bản sao ở đâu?", "trich_luc_ho_tich").kind == "answer"
