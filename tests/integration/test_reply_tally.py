"""How the cluster bench and fault tests judge one citizen's replies, and hold a run to its cores
(bench/cluster_load.py)."""
import os
import subprocess
import sys

from bench.cluster_load import ReplyTally, delivered_late, held_to_cores, tally_replies

POOL = {"q1": "a1", "q2": "a2", "q3": "a3"}


def test_replies_in_the_order_sent_are_all_right():
    assert tally_replies(["q1", "q2", "q3"], set(), ["a1", "a2", "a3"], POOL) == ReplyTally()


def test_a_swapped_pair_a_double_a_missing_and_a_stranger_are_each_counted():
    assert tally_replies(["q1", "q2", "q3"], set(), ["a2", "a1", "a1"], POOL) == ReplyTally(
        lost=1, duplicated=1, out_of_order=2)
    assert tally_replies(["q1"], set(), ["a1", "a3"], POOL) == ReplyTally(wrong=1)


def test_a_message_delivered_late_may_be_answered_after_later_ones():
    assert tally_replies(["q1", "q2", "q3"], {"q1"}, ["a2", "a3", "a1"], POOL) == ReplyTally()
    assert tally_replies(["q1", "q2", "q3"], {"q1"}, ["a3", "a2", "a1"], POOL) == ReplyTally(out_of_order=2)


def test_late_means_a_first_delivery_without_200_or_delivered_again():
    def delivery(text, *statuses):
        return {"event_name": "user_send_text", "body": {"sender": {"id": "u"}, "message": {"text": text}},
                "attempts": [{"status_code": s} for s in statuses]}
    deliveries = [delivery("q1", 200), delivery("q2", 503, 200), delivery("q3", 503)]
    assert delivered_late(deliveries, {("u", "q3"): 1.0}) == {("u", "q2"), ("u", "q3")}


def test_a_question_the_client_sent_twice_is_due_twice():
    assert tally_replies(["q1", "q1", "q2"], set(), ["a1", "a1", "a2"], POOL) == ReplyTally()
    assert tally_replies(["q1", "q1", "q2"], set(), ["a1", "a2"], POOL) == ReplyTally(lost=1)


def test_a_run_held_to_one_core_and_what_it_starts_stay_there_and_the_bench_gets_its_cores_back():
    before = os.sched_getaffinity(0)
    with held_to_cores(1):
        assert os.sched_getaffinity(0) == {0}
        child = subprocess.run([sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
                               capture_output=True, text=True, check=True)
        assert child.stdout.strip() == "[0]"
    assert os.sched_getaffinity(0) == before
    with held_to_cores(None):
        assert os.sched_getaffinity(0) == before
