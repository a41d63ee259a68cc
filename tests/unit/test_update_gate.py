from megam_tui.ui.update_gate import UpdateGate


def test_newest_per_key_wins_and_take_forgets():
    g = UpdateGate()
    g.hold("docker", ("stats", "local"), "s1")
    g.hold("ssh", ("host", "a"), "a1")
    g.hold("docker", ("stats", "local"), "s2")
    g.hold("docker", ("stats", "remote"), "r1")
    assert len(g) == 3
    assert g.take("docker") == ["s2", "r1"]
    assert g.take("docker") == []
    assert g.take_all() == [("ssh", "a1")]
    assert len(g) == 0 and g.take_all() == []
