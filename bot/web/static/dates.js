// Beside a date input, the chosen day as an officer writes it ("Thứ Năm, 01/01/2027"): the
// browser shows <input type=date> in its own locale, which may be mm/dd/yyyy.
"use strict";

(function () {
  const WEEKDAYS = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];

  function spelled(value) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    if (!match) return "";
    const day = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
    return `${WEEKDAYS[day.getUTCDay()]}, ${match[3]}/${match[2]}/${match[1]}`;
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const input of document.querySelectorAll("input[type=date][data-spelled]")) {
      const output = document.getElementById(input.dataset.spelled);
      const update = () => { output.textContent = spelled(input.value) || "chưa chọn ngày"; };
      input.addEventListener("input", update);
      input.addEventListener("change", update);
      update();
    }
  });
})();
