"""Reference solutions of lesson 6 (optimizers)."""
import numpy as np


def momentum_step(theta, grad, velocity, lr, momentum):
    v = momentum * velocity + grad          # v accumulates the gradients, decaying by μ
    return theta - lr * v, v


def rmsprop_step(theta, grad, square_avg, lr, alpha, eps):
    s = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / (np.sqrt(s) + eps), s


def adam_step(theta, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)              # the averages start at 0: undo that bias
    v_hat = v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
