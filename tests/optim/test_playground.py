"""The optimizer playground: test functions, recorded paths, the picture and its command."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.cli import main as cli_main
from chainrule.cli import playground as cli_playground
from chainrule.optim import playground as pg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _grad(function, point):
    theta = cr.tensor(np.array(point, dtype=np.float64), requires_grad=True)
    function(theta[0], theta[1]).backward()
    return theta.grad.numpy()


@pytest.mark.parametrize("name", sorted(pg.FUNCTIONS))
def test_known_minima_are_stationary_with_value_zero(name):
    function = pg.FUNCTIONS[name]
    for point in function.minima:
        value = function(cr.tensor(point[0], dtype=cr.float64), cr.tensor(point[1],
                                                                          dtype=cr.float64))
        assert value.item() == pytest.approx(function.minimum_value, abs=1e-9)
        np.testing.assert_allclose(_grad(function, point), 0.0, atol=1e-4)  # minima to 6 digits
        # a minimum, not a saddle: f grows in every direction around it
        for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
            dx, dy = 1e-2 * np.cos(angle), 1e-2 * np.sin(angle)
            assert function(point[0] + dx, point[1] + dy) > function.minimum_value


@pytest.mark.parametrize("name", sorted(pg.FUNCTIONS))
def test_one_definition_serves_arrays_and_tensors(name):
    function = pg.FUNCTIONS[name]
    X, Y, Z = function.grid(n=7)
    assert Z.shape == (7, 7) and isinstance(Z, np.ndarray)
    z = function(cr.tensor(X, dtype=cr.float64), cr.tensor(Y, dtype=cr.float64))
    np.testing.assert_allclose(z.numpy(), Z, rtol=1e-12)


def test_autodiff_gradient_matches_the_hand_derivative():
    x, y = -0.7, 1.3
    expected = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
    np.testing.assert_allclose(_grad(pg.ROSENBROCK, (x, y)), expected, rtol=1e-12)


@pytest.mark.parametrize("condition, angle", [(10.0, 0.0), (100.0, 30.0), (1.0, 45.0)])
def test_quadratic_has_the_chosen_condition_number(condition, angle):
    q = pg.quadratic(condition, angle)
    H = cr.hessian(lambda v: q(v[0], v[1]), cr.tensor(np.array([0.3, -0.2]))).numpy()
    eig = np.linalg.eigvalsh(H)
    assert eig.max() / eig.min() == pytest.approx(condition, rel=1e-10)
    with pytest.raises(ValueError, match="condition number"):
        pg.quadratic(0.5)


def test_record_path_follows_gradient_descent_exactly():
    """On f = ½(κx² + y²), SGD's path is θ_{t+1} = (I − ηA)θ_t with A = diag(κ, 1)."""
    q = pg.quadratic(10.0)
    lr, steps = 0.05, 40
    path = pg.record_path(lambda ps: optim.SGD(ps, lr=lr), q, (1.5, -2.0), steps)
    assert path.points.shape == (steps + 1, 2) and path.losses.shape == (steps + 1,)
    t = np.arange(steps + 1)
    np.testing.assert_allclose(path.points[:, 0], 1.5 * (1 - lr * 10.0) ** t, rtol=1e-12)
    np.testing.assert_allclose(path.points[:, 1], -2.0 * (1 - lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(path.losses, [q(*p) for p in path.points], rtol=1e-12)
    assert path.final == pytest.approx(tuple(path.points[-1]))


def test_record_path_marks_divergence_with_nan():
    q = pg.quadratic(10.0)
    with np.errstate(all="raise"):   # no floating-point warnings escape
        path = pg.record_path(lambda ps: optim.SGD(ps, lr=1.0), q, (1.0, 1.0), 2000)
    finite = np.isfinite(path.losses)
    assert finite[0] and not finite[-1]
    assert np.isnan(path.points[~finite]).all()
    assert np.isfinite(path.final).all()


def test_record_path_with_a_plain_function_needs_a_start():
    def bowl(x, y):
        return x * x + y * y

    path = pg.record_path(lambda ps: optim.Adam(ps, lr=0.1), bowl, (1.0, 1.0), 200)
    assert abs(path.losses[-1]) < 1e-2
    with pytest.raises(ValueError, match="start point"):
        pg.record_path(lambda ps: optim.Adam(ps), bowl)


def test_compare_and_optimizer_names():
    paths = pg.compare(pg.HIMMELBLAU, ["sgd", "adam"], steps=60, lrs={"adam": 0.05})
    assert [p.label for p in paths] == ["SGD (η = 0.005)", "Adam (η = 0.05)"]
    with pytest.raises(ValueError, match="unknown optimizer"):
        pg.optimizer_factory("lbfgs", 0.1)
    with pytest.raises(ValueError, match="unknown test function"):
        pg.get_function("ackley")
    assert set(cli_playground.FUNCTIONS) == set(pg.FUNCTIONS)
    assert set(cli_playground.OPTIMIZERS) == set(pg.OPTIMIZERS)


def test_plot_paths_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    paths = pg.compare(pg.BEALE, ["sgd", "momentum", "adam"], steps=40)
    out = tmp_path / "paths.png"
    pg.plot_paths(paths, pg.BEALE, str(out))
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 20_000


def test_core_does_not_import_matplotlib():
    code = ("import sys, chainrule.optim.playground, chainrule.cli.main; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_playground_command_draws_the_picture(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "optimizer_paths.png"
    assert cli_main.main(["playground", "--steps", "60", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    for label in ("SGD", "momentum", "RMSprop", "Adam", "wrote"):
        assert label in printed
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_playground_command_options(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "q.png"
    argv = ["playground", "-f", "quadratic", "--condition", "50", "--angle", "30", "-O", "sgd",
            "nesterov", "--lr", "sgd=0.03", "--steps", "20", "--start", "1", "1", "-o", str(out)]
    assert cli_main.main(argv) == 0
    printed = capsys.readouterr().out
    assert "SGD (η = 0.03)" in printed and "Nesterov" in printed and out.exists()
    assert cli_main.main(["playground", "--list"]) == 0
    assert "rosenbrock" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="NAME=NUMBER"):
        cli_main.main(["playground", "--lr", "adam=fast"])
    with pytest.raises(SystemExit, match="not among"):
        cli_main.main(["playground", "-O", "sgd", "--lr", "adam=0.1"])
