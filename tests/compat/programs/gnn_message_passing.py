import torch
import torch.nn as nn
import torch.nn.functional as F
import math
# ruff: noqa  (kept in the style of hand-written PyTorch GNN tutorials, which this program follows)

# Graph neural networks written by hand on an edge list (edge_index: 2 × E, row = source,
# col = target), the way the "GNNs from scratch" tutorials (and PyG's MessagePassing internals)
# write them without a graph library:
#   - GCNConv: self-loops, symmetric normalisation D^-1/2 (A + I) D^-1/2 with the degrees from
#     torch.bincount and pow(-0.5) (inf → 0), messages gathered with index_select and summed into
#     the targets with index_add_;
#   - SAGEConv: mean aggregation of the neighbours with scatter_reduce(reduce="mean") and, for
#     the sum, scatter_add_ with an expanded index, divided by the degree;
#   - GATConv: multi-head attention, leaky_relu scores per edge, a softmax over each node's
#     incoming edges done with scatter_reduce("amax") / exp / scatter_add_, attention dropout;
# node classification with boolean train/val/test masks, Adam with weight decay, early stopping
# on the validation accuracy with the best state_dict kept (copy.deepcopy).
#
# The graph (features, edges, labels, masks) is handed in by the caller.
import copy


def add_self_loops(edge_index, num_nodes):
    loop = torch.arange(num_nodes, dtype=edge_index.dtype)
    loop = loop.unsqueeze(0).repeat(2, 1)
    return torch.cat([edge_index, loop], dim=1)


class GCNConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        nn.init.xavier_uniform_(self.lin.weight)

    def forward(self, x, edge_index):
        num_nodes = x.size(0)
        edge_index = add_self_loops(edge_index, num_nodes)
        row, col = edge_index
        x = self.lin(x)
        deg = torch.bincount(col, minlength=num_nodes).to(x.dtype)
        deg_inv_sqrt = deg.pow(-0.5)
        deg_inv_sqrt[deg_inv_sqrt == float('inf')] = 0
        norm = deg_inv_sqrt[row] * deg_inv_sqrt[col]
        messages = x.index_select(0, row) * norm.view(-1, 1)
        out = torch.zeros_like(x).index_add_(0, col, messages)
        return out + self.bias


class SAGEConv(nn.Module):
    def __init__(self, in_channels, out_channels, aggr="mean"):
        super().__init__()
        self.aggr = aggr
        self.lin_l = nn.Linear(in_channels, out_channels)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x, edge_index):
        row, col = edge_index
        num_nodes = x.size(0)
        msg = x[row]
        if self.aggr == "mean":
            agg = torch.zeros(num_nodes, x.size(1), dtype=x.dtype).scatter_reduce(
                0, col.unsqueeze(-1).expand_as(msg), msg, reduce="mean", include_self=False)
        else:   # sum, then divide by the in-degree by hand
            index = col.view(-1, 1).expand(-1, x.size(1))
            agg = torch.zeros(num_nodes, x.size(1), dtype=x.dtype).scatter_add_(0, index, msg)
            count = torch.bincount(col, minlength=num_nodes).clamp(min=1).unsqueeze(-1)
            agg = agg / count
        out = self.lin_l(agg) + self.lin_r(x)
        return F.normalize(out, p=2.0, dim=-1)


def scatter_softmax(src, index, num_nodes):
    """softmax of src (E × H) over the edges that share a target node."""
    H = src.size(1)
    idx = index.unsqueeze(-1).expand(-1, H)
    src_max = torch.full((num_nodes, H), float('-inf'), dtype=src.dtype).scatter_reduce(
        0, idx, src, reduce="amax", include_self=True)
    out = (src - src_max.gather(0, idx)).exp()
    denom = torch.zeros(num_nodes, H, dtype=src.dtype).scatter_add_(0, idx, out)
    return out / (denom.index_select(0, index) + 1e-16)


class GATConv(nn.Module):
    def __init__(self, in_channels, out_channels, heads=2, concat=True, negative_slope=0.2,
                 dropout=0.0):
        super().__init__()
        self.heads, self.out_channels, self.concat = heads, out_channels, concat
        self.negative_slope, self.dropout = negative_slope, dropout
        self.lin = nn.Linear(in_channels, heads * out_channels, bias=False)
        self.att_src = nn.Parameter(torch.empty(1, heads, out_channels))
        self.att_dst = nn.Parameter(torch.empty(1, heads, out_channels))
        self.bias = nn.Parameter(torch.empty(heads * out_channels if concat else out_channels))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.xavier_uniform_(self.lin.weight, gain=nn.init.calculate_gain('relu'))
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)
        nn.init.zeros_(self.bias)

    def forward(self, x, edge_index, return_attention=False):
        N, H, C = x.size(0), self.heads, self.out_channels
        edge_index = add_self_loops(edge_index, N)
        src, dst = edge_index[0], edge_index[1]
        h = self.lin(x).view(-1, H, C)
        alpha_src = (h * self.att_src).sum(dim=-1)          # N × H
        alpha_dst = (h * self.att_dst).sum(-1)
        alpha = alpha_src.index_select(0, src) + alpha_dst.index_select(0, dst)   # E × H
        alpha = F.leaky_relu(alpha, self.negative_slope)
        alpha = scatter_softmax(alpha, dst, N)
        alpha = F.dropout(alpha, p=self.dropout, training=self.training)
        msg = h[src] * alpha.unsqueeze(-1)                   # E × H × C
        out = torch.zeros(N, H, C, dtype=x.dtype)
        out.index_add_(0, dst, msg)
        if self.concat:
            out = out.view(-1, H * C)
        else:
            out = out.mean(dim=1)
        out = out + self.bias
        if return_attention:
            return out, alpha
        return out


class GNN(nn.Module):
    def __init__(self, in_channels, hidden, num_classes, kind="gcn", heads=2, dropout=0.5,
                 att_dropout=0.0):
        super().__init__()
        self.kind, self.dropout = kind, dropout
        if kind == "gcn":
            self.conv1 = GCNConv(in_channels, hidden)
            self.conv2 = GCNConv(hidden, num_classes)
        elif kind == "sage":
            self.conv1 = SAGEConv(in_channels, hidden, aggr="mean")
            self.conv2 = SAGEConv(hidden, num_classes, aggr="sum")
            self.head = nn.Linear(num_classes, num_classes)
        else:
            self.conv1 = GATConv(in_channels, hidden, heads=heads, dropout=att_dropout)
            self.conv2 = GATConv(hidden * heads, num_classes, heads=1, concat=False,
                                 dropout=att_dropout)

    def forward(self, x, edge_index):
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = self.conv1(x, edge_index)
        x = F.elu(x) if self.kind == "gat" else F.relu(x)
        x = F.dropout(x, p=self.dropout, training=self.training)
        x = self.conv2(x, edge_index)
        if self.kind == "sage":
            x = self.head(x)
        return F.log_softmax(x, dim=1)


def accuracy(out, y, mask):
    pred = out.argmax(dim=1)
    correct = (pred[mask] == y[mask]).sum()
    return int(correct) / int(mask.sum())


def build(in_channels=8, hidden=8, num_classes=3, kind="gcn", heads=2, dropout=0.5,
          att_dropout=0.0):
    return GNN(in_channels, hidden, num_classes, kind, heads, dropout, att_dropout)


def run(model, data, epochs=30, lr=0.01, weight_decay=5e-4, patience=10, seed=0):
    torch.manual_seed(seed)
    x = torch.tensor(data["x"], dtype=torch.get_default_dtype())
    edge_index = torch.from_numpy(data["edge_index"])
    y = torch.from_numpy(data["y"])
    train_mask = torch.from_numpy(data["train_mask"])
    val_mask = torch.tensor(data["val_mask"], dtype=torch.bool)
    test_mask = ~(train_mask | val_mask)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses, val_losses, val_accs = [], [], []
    best_val, best_state, bad_epochs = -1.0, None, 0
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        out = model(x, edge_index)
        loss = F.nll_loss(out[train_mask], y[train_mask])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

        model.eval()
        with torch.no_grad():
            out = model(x, edge_index)
            val_loss = F.nll_loss(out[val_mask], y[val_mask]).item()
            val_acc = accuracy(out, y, val_mask)
        val_losses.append(val_loss)
        val_accs.append(val_acc)
        if val_acc > best_val:
            best_val, bad_epochs = val_acc, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad_epochs += 1
            if bad_epochs >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        out = model(x, edge_index)
        test_acc = accuracy(out, y, test_mask)
        record = {"losses": losses, "val_losses": val_losses, "val_accs": val_accs,
                  "test_acc": test_acc, "log_probs": out, "pred": out.argmax(dim=1),
                  "state": model.state_dict(), "epochs_run": len(losses)}
        if model.kind == "gat":
            _, attention = model.conv1(x, edge_index, return_attention=True)
            record["attention"] = attention
    return record


def make_graph(num_nodes=40, num_classes=3, in_channels=8, p_in=0.25, p_out=0.03, seed=0):
    """A stochastic block model: one block per class, features = class centre + noise."""
    import numpy as np
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, num_nodes)
    same = y[:, None] == y[None, :]
    adj = rng.random((num_nodes, num_nodes)) < np.where(same, p_in, p_out)
    adj = np.triu(adj, 1)
    adj = adj | adj.T
    src, dst = np.nonzero(adj)
    centres = rng.normal(size=(num_classes, in_channels))
    x = centres[y] + rng.normal(scale=1.5, size=(num_nodes, in_channels))
    perm = rng.permutation(num_nodes)
    train_mask = np.zeros(num_nodes, bool)
    val_mask = np.zeros(num_nodes, bool)
    train_mask[perm[:num_nodes // 3]] = True
    val_mask[perm[num_nodes // 3: num_nodes // 2]] = True
    return {"x": x, "edge_index": np.stack([src, dst]).astype(np.int64), "y": y.astype(np.int64),
            "train_mask": train_mask, "val_mask": val_mask}


if __name__ == '__main__':
    data = make_graph(num_nodes=120)
    for kind in ("gcn", "sage", "gat"):
        torch.manual_seed(0)
        record = run(build(kind=kind, dropout=0.5, att_dropout=0.2), data, epochs=100)
        print(kind, record["epochs_run"], record["losses"][0], record["losses"][-1],
              max(record["val_accs"]), record["test_acc"])
