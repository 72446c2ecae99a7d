import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical
import numpy as np
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# pytorch/examples reinforcement_learning/reinforce.py — REINFORCE with a policy network that
# keeps its episode's log-probabilities and rewards (policy.saved_log_probs, policy.rewards),
# select_action sampling a torch.distributions.Categorical (m.sample(), m.log_prob(action),
# m.entropy()), finish_episode computing the discounted returns with a reversed loop and
# torch.tensor(returns), and Adam — without gym: the environment is a small deterministic
# corridor written here. Additions found in many REINFORCE scripts: an entropy bonus, a moving-
# average baseline, the example's (R - mean) / (std + eps) normalisation of the returns as an
# option (normalize=True), Categorical(logits=...) as an option, gradient accumulation over
# `batch_episodes` episodes (one backward per episode, scaled by 1/batch_episodes) before each
# clipped optimizer step, and the example's running reward.
#
# The actions are drawn from the global generator, seeded with torch.manual_seed(seed) as the
# example does.

eps = np.finfo(np.float32).eps.item()


class GridWalk:
    """A 1-D corridor of `size` cells: start in the middle, actions 0 = left, 1 = stay,
    2 = right; reward +1 at the right end (terminal), -1 at the left end (terminal), -0.05 per
    step otherwise; at most `max_steps` steps. The observation is the one-hot cell and the
    fraction of steps left."""

    def __init__(self, size=5, max_steps=12):
        self.size, self.max_steps = size, max_steps

    def reset(self, seed=None):
        self.pos, self.t = self.size // 2, 0
        return self._obs(), {}

    def _obs(self):
        obs = np.zeros(self.size + 1, dtype=np.float32)
        obs[self.pos] = 1.0
        obs[-1] = 1.0 - self.t / self.max_steps
        return obs

    def step(self, action):
        self.pos = min(max(self.pos + int(action) - 1, 0), self.size - 1)
        self.t += 1
        if self.pos == self.size - 1:
            reward, terminated = 1.0, True
        elif self.pos == 0:
            reward, terminated = -1.0, True
        else:
            reward, terminated = -0.05, False
        truncated = self.t >= self.max_steps
        return self._obs(), reward, terminated, truncated, {}


class Policy(nn.Module):
    def __init__(self, n_obs=6, n_actions=3, hidden=16, dropout=0.0):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(n_obs, hidden)
        self.dropout = nn.Dropout(p=dropout)
        self.affine2 = nn.Linear(hidden, n_actions)

        self.saved_log_probs = []
        self.entropies = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


def select_action(policy, state, use_logits=False):
    state = torch.from_numpy(state).to(torch.get_default_dtype()).unsqueeze(0)
    probs = policy(state)
    if use_logits:
        m = Categorical(logits=torch.log(probs))
    else:
        m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    policy.entropies.append(m.entropy())
    return action.item()


def finish_episode(policy, gamma, entropy_coef, batch_episodes, baseline, normalize):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    if baseline is not None:
        returns = returns - baseline
    if normalize and len(returns) > 1:
        returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    entropy = torch.cat(policy.entropies).mean()
    loss = torch.cat(policy_loss).sum() - entropy_coef * entropy
    (loss / batch_episodes).backward()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    del policy.entropies[:]
    return loss.item()


def build(n_obs=6, n_actions=3, hidden=16, dropout=0.0):
    return Policy(n_obs, n_actions, hidden, dropout)


def run(policy, data, episodes=24, gamma=0.99, lr=1e-2, entropy_coef=0.01, batch_episodes=4,
        seed=543, use_logits=False, use_baseline=True, normalize=False, log_interval=4):
    torch.manual_seed(seed)
    env = GridWalk(size=data.get("size", 5), max_steps=data.get("max_steps", 12))
    optimizer = optim.Adam(policy.parameters(), lr=lr)
    running_reward = 0.0
    baseline = 0.0
    losses, ep_rewards, lengths, actions, running = [], [], [], [], []
    optimizer.zero_grad()
    for i_episode in range(1, episodes + 1):
        state, _ = env.reset(seed=seed)
        ep_reward = 0
        for t in range(1, 10000):
            action = select_action(policy, state, use_logits)
            actions.append(action)
            state, reward, terminated, truncated, _ = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if terminated or truncated:
                break
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        losses.append(finish_episode(policy, gamma, entropy_coef, batch_episodes,
                                     baseline if use_baseline else None, normalize))
        baseline = 0.9 * baseline + 0.1 * ep_reward
        if i_episode % batch_episodes == 0:
            torch.nn.utils.clip_grad_norm_(policy.parameters(), max_norm=5.0)
            optimizer.step()
            optimizer.zero_grad()
        ep_rewards.append(ep_reward)
        lengths.append(t)
        if i_episode % log_interval == 0:
            running.append(running_reward)
    policy.eval()
    with torch.no_grad():
        states = torch.eye(env.size + 1)[:env.size]
        states[:, -1] = 1.0
        probs = policy(states)
        greedy = probs.argmax(dim=1)
        dist = Categorical(probs=probs)
        entropy = dist.entropy()
        log_prob_right = dist.log_prob(torch.full((env.size,), 2))
        samples = dist.sample((3,))
    return {"losses": losses, "ep_rewards": ep_rewards, "lengths": lengths, "actions": actions,
            "running": running, "probs": probs, "greedy": greedy, "entropy": entropy,
            "log_prob_right": log_prob_right, "samples": samples, "state": policy.state_dict()}


if __name__ == '__main__':
    torch.manual_seed(0)
    record = run(build(), {}, episodes=300)
    print(np.mean(record["ep_rewards"][:20]), np.mean(record["ep_rewards"][-20:]),
          record["greedy"])
