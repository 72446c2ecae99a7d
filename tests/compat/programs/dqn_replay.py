import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
import copy
import math
from collections import namedtuple, deque
import numpy as np
# ruff: noqa  (kept in the style of the PyTorch DQN tutorial, which this program follows)

# Deep Q-learning as the PyTorch "Reinforcement Learning (DQN) Tutorial" and the many scripts
# derived from it write it, without gym: the environment is a small deterministic grid world
# written here. A Q-network and a target network (copy.deepcopy, or a second instance given the
# policy's weights with load_state_dict), ε-greedy acting under torch.no_grad() with ε decaying
# exponentially and the coin drawn with torch.rand, a replay memory sampled with torch.randint —
# either the tutorial's deque of Transition namedtuples batched with torch.cat / torch.stack and
# a non-final mask, a list of per-step tensors batched with torch.stack, or a preallocated ring
# buffer of tensors indexed with a LongTensor —,
# Q(s, a) by gather along the actions, the bootstrapped target from max(1).values (or double DQN:
# argmax by the online network, value by the target network) under no_grad / detach, the
# Huber loss (F.smooth_l1_loss, or nn.HuberLoss(delta=...)), clip_grad_norm_ or the tutorial's
# clip_grad_value_, Adam / AdamW(amsgrad=True), and a periodic hard target sync or the
# tutorial's soft update (τ-weighted state_dict average).
#
# All the randomness (ε coins, random actions, minibatch indices) comes from the global
# generator, seeded with torch.manual_seed(seed).

Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward'))


class GridWorld:
    """A size × size grid: start at the top-left corner, goal (+1, terminal) at the bottom-right,
    a pit (-1, terminal) in the middle of the right column, -0.04 per other step, at most
    `max_steps` steps. Actions 0 up, 1 down, 2 left, 3 right; walls keep the agent in place.
    The observation is the one-hot cell (float32, as gym's)."""

    MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))

    def __init__(self, size=4, max_steps=20):
        self.size, self.max_steps = size, max_steps
        self.goal = (size - 1, size - 1)
        self.pit = (size // 2, size - 1)

    def reset(self):
        self.pos, self.t = (0, 0), 0
        return self._obs(), {}

    def _obs(self):
        obs = np.zeros(self.size * self.size, dtype=np.float32)
        obs[self.pos[0] * self.size + self.pos[1]] = 1.0
        return obs

    def step(self, action):
        dr, dc = self.MOVES[action]
        r = min(max(self.pos[0] + dr, 0), self.size - 1)
        c = min(max(self.pos[1] + dc, 0), self.size - 1)
        self.pos, self.t = (r, c), self.t + 1
        if self.pos == self.goal:
            reward, terminated = 1.0, True
        elif self.pos == self.pit:
            reward, terminated = -1.0, True
        else:
            reward, terminated = -0.04, False
        return self._obs(), reward, terminated, self.t >= self.max_steps, {}


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions, hidden=32):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, hidden)
        self.layer2 = nn.Linear(hidden, hidden)
        self.layer3 = nn.Linear(hidden, n_actions)

    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


class ReplayMemory(object):
    """The tutorial's memory: a deque of Transitions, sampled with torch.randint indices."""

    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        idx = torch.randint(len(self.memory), (batch_size,))
        return [self.memory[i] for i in idx.tolist()]

    def __len__(self):
        return len(self.memory)


class StackReplayBuffer:
    """A list of per-step tensors; a batch is torch.stack of the sampled ones."""

    def __init__(self, capacity):
        self.buffer, self.capacity = [], capacity

    def push(self, state, action, next_state, reward, done):
        if len(self.buffer) >= self.capacity:
            self.buffer.pop(0)
        self.buffer.append((state, torch.tensor(action), next_state, torch.tensor(reward),
                            torch.tensor(done)))

    def sample(self, batch_size):
        idx = torch.randint(0, len(self.buffer), (batch_size,))
        states, actions, next_states, rewards, dones = zip(*[self.buffer[i] for i in idx])
        return (torch.stack(states), torch.stack(actions), torch.stack(rewards).float().to(
            torch.get_default_dtype()), torch.stack(next_states), torch.stack(dones))

    def __len__(self):
        return len(self.buffer)


class TensorReplayBuffer:
    """A preallocated ring buffer of tensors; a batch is one LongTensor index per field."""

    def __init__(self, capacity, obs_dim):
        self.states = torch.zeros(capacity, obs_dim)
        self.actions = torch.zeros(capacity, dtype=torch.long)
        self.rewards = torch.zeros(capacity)
        self.next_states = torch.zeros(capacity, obs_dim)
        self.dones = torch.zeros(capacity, dtype=torch.bool)
        self.capacity, self.pos, self.size = capacity, 0, 0

    def push(self, state, action, next_state, reward, done):
        self.states[self.pos] = state
        self.actions[self.pos] = action
        self.next_states[self.pos] = next_state
        self.rewards[self.pos] = reward
        self.dones[self.pos] = done
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        idx = torch.randint(0, self.size, (batch_size,))
        return (self.states[idx], self.actions[idx], self.rewards[idx], self.next_states[idx],
                self.dones[idx])

    def __len__(self):
        return self.size


def select_action(policy_net, state, eps_threshold, n_actions):
    sample = torch.rand(1).item()
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.randint(n_actions, (1, 1), dtype=torch.long)


def td_loss(policy_net, target_net, batch, gamma, criterion, double):
    state_batch, action_batch, reward_batch, next_states, done_batch = batch
    state_action_values = policy_net(state_batch).gather(1, action_batch.unsqueeze(1))
    if double:
        next_actions = policy_net(next_states).argmax(dim=1, keepdim=True).detach()
        next_values = target_net(next_states).gather(1, next_actions).squeeze(1).detach()
    else:
        next_values = target_net(next_states).max(1).values.detach()
    expected = reward_batch + gamma * next_values * (~done_batch).to(reward_batch.dtype)
    return criterion(state_action_values, expected.unsqueeze(1))


def tutorial_loss(policy_net, target_net, transitions, gamma, criterion, batch_size):
    """optimize_model() of the tutorial: a non-final mask and torch.cat of the next states."""
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)),
                                  dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(batch_size)
    with torch.no_grad():
        if non_final_mask.any():
            next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * gamma) + reward_batch
    return criterion(state_action_values, expected_state_action_values.unsqueeze(1))


def build(size=4, hidden=32):
    return DQN(size * size, 4, hidden)


def run(policy_net, data, episodes=12, batch_size=8, gamma=0.9, lr=1e-3, seed=7,
        memory="tutorial", loss="smooth_l1", delta=1.0, double=False, optimizer="adam",
        target_update="hard", sync_every=10, tau=0.05, eps_start=0.9, eps_end=0.05,
        eps_decay=60, clip="norm", copy_target="deepcopy"):
    torch.manual_seed(seed)
    size = data.get("size", 4)
    env = GridWorld(size=size, max_steps=data.get("max_steps", 20))
    n_obs, n_actions = size * size, 4
    if copy_target == "deepcopy":
        target_net = copy.deepcopy(policy_net)
    else:
        target_net = DQN(n_obs, n_actions, policy_net.layer1.out_features)
        target_net.load_state_dict(policy_net.state_dict())
    target_net.eval()
    if optimizer == "adam":
        opt = optim.Adam(policy_net.parameters(), lr=lr)
    else:
        opt = optim.AdamW(policy_net.parameters(), lr=lr, amsgrad=True)
    criterion = nn.HuberLoss(delta=delta) if loss == "huber" else F.smooth_l1_loss
    if memory == "tutorial":
        replay = ReplayMemory(1000)
    elif memory == "stack":
        replay = StackReplayBuffer(1000)
    else:
        replay = TensorReplayBuffer(1000, n_obs)

    steps_done = 0
    losses, returns, lengths, actions, epsilons, grad_norms = [], [], [], [], [], []
    for i_episode in range(episodes):
        obs, _ = env.reset()
        state = torch.tensor(obs, dtype=torch.get_default_dtype()).unsqueeze(0)
        total = 0.0
        for t in range(1000):
            eps_threshold = eps_end + (eps_start - eps_end) * math.exp(-1. * steps_done / eps_decay)
            steps_done += 1
            action = select_action(policy_net, state, eps_threshold, n_actions)
            actions.append(action.item())
            epsilons.append(eps_threshold)
            obs, reward, terminated, truncated, _ = env.step(action.item())
            total += reward
            next_state = torch.tensor(obs, dtype=torch.get_default_dtype()).unsqueeze(0)
            if memory == "tutorial":
                replay.push(state, action, None if terminated else next_state,
                            torch.tensor([reward]))
            else:
                replay.push(state.squeeze(0), action.item(), next_state.squeeze(0), reward,
                            terminated)
            state = next_state

            if len(replay) >= batch_size:
                if memory == "tutorial":
                    l = tutorial_loss(policy_net, target_net, replay.sample(batch_size), gamma,
                                      criterion, batch_size)
                else:
                    l = td_loss(policy_net, target_net, replay.sample(batch_size), gamma,
                                criterion, double)
                opt.zero_grad()
                l.backward()
                if clip == "norm":
                    grad_norms.append(torch.nn.utils.clip_grad_norm_(policy_net.parameters(),
                                                                     max_norm=1.0).item())
                else:
                    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
                opt.step()
                losses.append(l.item())

            if target_update == "soft":
                target_net_state_dict = target_net.state_dict()
                policy_net_state_dict = policy_net.state_dict()
                for key in policy_net_state_dict:
                    target_net_state_dict[key] = (policy_net_state_dict[key] * tau
                                                  + target_net_state_dict[key] * (1 - tau))
                target_net.load_state_dict(target_net_state_dict)
            elif steps_done % sync_every == 0:
                target_net.load_state_dict(policy_net.state_dict())

            if terminated or truncated:
                break
        returns.append(total)
        lengths.append(t + 1)

    policy_net.eval()
    with torch.no_grad():
        all_states = torch.eye(n_obs)
        q_values = policy_net(all_states)
        greedy = q_values.argmax(1)
        v = q_values.max(dim=1)
        target_q = target_net(all_states)
    return {"losses": losses, "returns": returns, "lengths": lengths, "actions": actions,
            "epsilons": epsilons, "grad_norms": grad_norms, "q_values": q_values,
            "greedy": greedy, "values": v.values, "value_actions": v.indices,
            "target_q": target_q, "state": policy_net.state_dict(),
            "target_state": target_net.state_dict()}


if __name__ == '__main__':
    torch.manual_seed(0)
    record = run(build(), {}, episodes=200)
    print(np.mean(record["returns"][:20]), np.mean(record["returns"][-20:]),
          record["greedy"].view(4, 4))
