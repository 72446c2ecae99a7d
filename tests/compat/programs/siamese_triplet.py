import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of pytorch/examples and adambielski/siamese-triplet)

# Metric learning in the style of pytorch/examples siamese_network/main.py and
# adambielski/siamese-triplet (networks.py, losses.py, utils.py): a small convolutional
# EmbeddingNet (Conv2d-PReLU-MaxPool2d twice, then Linear-PReLU-Linear) whose outputs are
# L2-normalised with F.normalize, trained with
#   * an online triplet loss with batch-hard mining: the pairwise distances of the batch's
#     embeddings by torch.cdist, the hardest positive of each anchor from masked_fill + max, the
#     hardest negatives from masked_fill + torch.topk(largest=False), gathered with torch.gather
#     and fed to nn.TripletMarginLoss;
#   * a contrastive term on the batch's pairs: nn.CosineEmbeddingLoss with targets ±1;
# with Adam and StepLR. Evaluated under torch.no_grad() with a DataLoader over a TensorDataset:
# embeddings of a gallery and a query set, torch.cdist between them, nearest neighbours from
# argsort, recall@k, and the mean average precision from the ranking.
#
# The images are arrays handed in by the caller (a per-class template plus noise); the batches
# come in a fixed order (shuffle=False), so both libraries see the same ones.


class EmbeddingNet(nn.Module):
    def __init__(self, channels=(8, 16), embedding_dim=8, image_size=12):
        super(EmbeddingNet, self).__init__()
        self.convnet = nn.Sequential(nn.Conv2d(1, channels[0], 3, padding=1), nn.PReLU(),
                                     nn.MaxPool2d(2, stride=2),
                                     nn.Conv2d(channels[0], channels[1], 3), nn.PReLU(),
                                     nn.MaxPool2d(2, stride=2))
        side = (image_size // 2 - 2) // 2
        self.fc = nn.Sequential(nn.Linear(channels[1] * side * side, 32),
                                nn.PReLU(),
                                nn.Linear(32, embedding_dim)
                                )

    def forward(self, x):
        output = self.convnet(x)
        output = output.view(output.size()[0], -1)
        output = self.fc(output)
        return output

    def get_embedding(self, x):
        return self.forward(x)


class L2Normalized(nn.Module):
    def __init__(self, embedding_net):
        super(L2Normalized, self).__init__()
        self.embedding_net = embedding_net

    def forward(self, x):
        return F.normalize(self.embedding_net(x), p=2, dim=1)

    def get_embedding(self, x):
        return self.forward(x)


def batch_hard_triplets(embeddings, labels, num_negatives=2):
    """For each anchor: the farthest positive and the num_negatives nearest negatives (indices)."""
    with torch.no_grad():
        dist = torch.cdist(embeddings, embeddings, p=2)
        same = labels.unsqueeze(0) == labels.unsqueeze(1)
        eye = torch.eye(len(labels), dtype=torch.bool)
        pos_mask = same & ~eye
        # the hardest positive: the largest distance among the others of the same class
        pos_dist = dist.masked_fill(~pos_mask, float('-inf'))
        hardest_pos = pos_dist.argmax(dim=1)
        # the hardest negatives: the smallest distances to another class
        neg_dist = dist.masked_fill(same, float('inf'))
        _, hardest_neg = torch.topk(neg_dist, num_negatives, dim=1, largest=False)
    valid = pos_mask.any(dim=1)
    anchors = torch.arange(len(labels))[valid].repeat_interleave(num_negatives)
    positives = hardest_pos[valid].repeat_interleave(num_negatives)
    negatives = hardest_neg[valid].reshape(-1)
    return anchors, positives, negatives


def pair_targets(labels):
    """All pairs i < j of the batch and their CosineEmbeddingLoss targets (1 same class, -1 not)."""
    i, j = torch.triu_indices(len(labels), len(labels), offset=1)
    target = torch.where(labels[i] == labels[j], 1.0, -1.0).to(torch.get_default_dtype())
    return i, j, target


def train(model, train_loader, optimizer, triplet_loss, cosine_loss, log, cosine_weight=0.5):
    model.train()
    for batch_idx, (images, labels) in enumerate(train_loader):
        optimizer.zero_grad()
        embeddings = model(images)
        anchors, positives, negatives = batch_hard_triplets(embeddings, labels)
        a = embeddings[anchors]
        p = torch.gather(embeddings, 0, positives.unsqueeze(1).expand(-1, embeddings.size(1)))
        n = embeddings.index_select(0, negatives)
        loss_triplet = triplet_loss(a, p, n)
        i, j, target = pair_targets(labels)
        loss_cosine = cosine_loss(embeddings[i], embeddings[j], target)
        loss = loss_triplet + cosine_weight * loss_cosine
        loss.backward()
        optimizer.step()
        log["losses"].append(loss.item())
        log["triplet"].append(loss_triplet.item())
        log["cosine"].append(loss_cosine.item())
        log["num_triplets"].append(len(anchors))


def extract_embeddings(dataloader, model):
    with torch.no_grad():
        model.eval()
        embeddings, labels = [], []
        for images, target in dataloader:
            embeddings.append(model.get_embedding(images))
            labels.append(target)
    return torch.cat(embeddings), torch.cat(labels)


def retrieval_metrics(query, query_labels, gallery, gallery_labels, ks=(1, 3)):
    dist = torch.cdist(query, gallery)
    order = dist.argsort(dim=1)
    ranked = gallery_labels[order]                               # labels in ranking order
    hits = ranked == query_labels.unsqueeze(1)
    recall = {k: hits[:, :k].any(dim=1).float().mean().item() for k in ks}
    # average precision: the mean over the relevant ranks of precision at that rank
    cum_hits = hits.cumsum(dim=1).to(torch.get_default_dtype())
    ranks = torch.arange(1, hits.size(1) + 1, dtype=torch.get_default_dtype())
    precision = cum_hits / ranks
    ap = (precision * hits).sum(dim=1) / hits.sum(dim=1).clamp(min=1)
    # cosine similarity of each query with its nearest gallery item
    nearest = order[:, 0]
    cos = F.cosine_similarity(query, gallery[nearest], dim=1)
    return {"recall": [recall[k] for k in ks], "mAP": ap.mean(), "ap": ap, "order": order,
            "nearest_cos": cos, "dist": dist}


def build(channels=(8, 16), embedding_dim=8, image_size=12):
    return L2Normalized(EmbeddingNet(channels, embedding_dim, image_size))


def run(model, data, epochs=3, batch_size=12, lr=1e-2, margin=0.2):
    x_train = torch.from_numpy(data["train"][0]).to(torch.get_default_dtype()).unsqueeze(1)
    y_train = torch.from_numpy(data["train"][1])
    x_query = torch.from_numpy(data["query"][0]).to(torch.get_default_dtype()).unsqueeze(1)
    y_query = torch.from_numpy(data["query"][1])
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size,
                              shuffle=False)
    gallery_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=7, shuffle=False)
    query_loader = DataLoader(TensorDataset(x_query, y_query), batch_size=7, shuffle=False)

    triplet_loss = nn.TripletMarginLoss(margin=margin, p=2)
    cosine_loss = nn.CosineEmbeddingLoss(margin=0.1)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    log = {"losses": [], "triplet": [], "cosine": [], "num_triplets": [], "recall": [],
           "mAP": [], "lrs": []}
    for epoch in range(epochs):
        train(model, train_loader, optimizer, triplet_loss, cosine_loss, log)
        scheduler.step()
        log["lrs"].append(scheduler.get_last_lr()[0])
        gallery, gallery_labels = extract_embeddings(gallery_loader, model)
        query, query_labels = extract_embeddings(query_loader, model)
        metrics = retrieval_metrics(query, query_labels, gallery, gallery_labels)
        log["recall"].append(metrics["recall"])
        log["mAP"].append(metrics["mAP"])
    log.update({k: metrics[k] for k in ("ap", "order", "nearest_cos", "dist")})
    log["query_embeddings"] = query
    log["norms"] = torch.linalg.vector_norm(query, dim=1)
    log["state"] = model.state_dict()
    return log


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    templates = rng.normal(size=(4, 12, 12))
    labels = np.tile(np.arange(4), 12)
    images = templates[labels] + 0.8 * rng.normal(size=(48, 12, 12))
    torch.manual_seed(0)
    data = {"train": (images[:36], labels[:36]), "query": (images[36:], labels[36:])}
    record = run(build(), data)
    print(record["losses"], record["recall"], record["mAP"])
