import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
# ruff: noqa  (kept in the style of the PyTorch "NLP from scratch" tutorials, which it follows)

# The "classifying names with a character-level RNN" tutorial: each name becomes a stack of
# one-hot letter vectors (len × 1 × n_letters); a hand-written recurrent module (one Linear over
# the concatenated input and hidden state, one Linear to the classes, LogSoftmax) reads it one
# letter at a time; NLLLoss and a manual SGD update through p.data.add_. Then the same task is
# learned a second way, in mini-batches: nn.RNN over one-hot sequences padded with pad_sequence,
# the output taken at each name's last letter, F.cross_entropy and torch.optim.SGD.
# The caller hands in {category: [names]} and the order of the training examples (the tutorial
# draws them with random.choice; here the order is fixed so both libraries see the same one).
import string
import unicodedata

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)


def unicodeToAscii(s):
    # strip accents: decompose, then drop the combining marks and anything outside all_letters
    return ''.join(
        c for c in unicodedata.normalize('NFD', s)
        if unicodedata.category(c) != 'Mn'
        and c in all_letters
    )


def letterToIndex(letter):
    return all_letters.find(letter)


def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()

        self.hidden_size = hidden_size

        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.h2o(hidden)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


class BatchedRNN(nn.Module):
    """The same classifier on torch.nn.RNN, fed a padded (T × B × n_letters) batch."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size, batch_first=False)
        self.h2o = nn.Linear(hidden_size, output_size)

    def forward(self, padded, lengths):
        output, hidden = self.rnn(padded)
        # the hidden state after each name's own last letter, not after the padding
        last = output[lengths - 1, torch.arange(padded.size(1))]
        return self.h2o(last)


def categoryFromOutput(output, all_categories):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


def build(n_categories=3, n_hidden=16):
    rnn = RNN(n_letters, n_hidden, n_categories)
    rnn2 = BatchedRNN(n_letters, n_hidden, n_categories)
    return rnn, rnn2


def run(models, data, learning_rate=0.005, batch_size=4, epochs=2, lr2=0.1, n_predictions=2):
    rnn, rnn2 = models
    category_lines = {category: [unicodeToAscii(line) for line in lines]
                      for category, lines in data["names"].items()}
    all_categories = list(category_lines)
    n_categories = len(all_categories)
    examples = [(all_categories[c], category_lines[all_categories[c]][i])
                for c, i in data["order"]]

    criterion = nn.NLLLoss()

    def train(category_tensor, line_tensor):
        hidden = rnn.initHidden()

        rnn.zero_grad()

        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)

        loss = criterion(output, category_tensor)
        loss.backward()

        # plain SGD by hand: move every parameter against its gradient
        for p in rnn.parameters():
            p.data.add_(p.grad.data, alpha=-learning_rate)

        return output, loss.item()

    def evaluate(line_tensor):
        hidden = rnn.initHidden()

        for i in range(line_tensor.size()[0]):
            output, hidden = rnn(line_tensor[i], hidden)

        return output

    record = {"losses": [], "guesses": [], "correct": []}
    current_loss = 0
    all_losses = []
    for iter, (category, line) in enumerate(examples, 1):
        category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
        line_tensor = lineToTensor(line)
        output, loss = train(category_tensor, line_tensor)
        current_loss += loss
        record["losses"].append(loss)

        guess, guess_i = categoryFromOutput(output, all_categories)
        record["guesses"].append(guess_i)
        record["correct"].append(guess == category)
        if iter % 5 == 0:
            all_losses.append(current_loss / 5)
            current_loss = 0
    record["all_losses"] = all_losses

    # confusion matrix over every name, one row per true category, normalised by row sums
    confusion = torch.zeros(n_categories, n_categories)
    with torch.no_grad():
        for category in all_categories:
            for line in category_lines[category]:
                output = evaluate(lineToTensor(line))
                guess, guess_i = categoryFromOutput(output, all_categories)
                category_i = all_categories.index(category)
                confusion[category_i][guess_i] += 1
    for i in range(n_categories):
        confusion[i] = confusion[i] / confusion[i].sum()
    record["confusion"] = confusion

    # the tutorial's predict(): the top n categories of one name with their log-probabilities
    predictions = []
    with torch.no_grad():
        output = evaluate(lineToTensor(unicodeToAscii(data["query"])))
        topv, topi = output.topk(n_predictions, 1, True)
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            predictions.append([value, category_index])
    record["predictions"] = predictions
    record["query_output"] = output
    record["letter"] = letterToTensor(data["query"][0])
    record["state"] = rnn.state_dict()

    # second way: whole mini-batches through nn.RNN
    optimizer = torch.optim.SGD(rnn2.parameters(), lr=lr2)
    pairs = [(all_categories.index(category), line) for category, line in examples]
    record["losses2"] = []
    for epoch in range(epochs):
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start:start + batch_size]
            seqs = [lineToTensor(line).squeeze(1) for _, line in batch]
            lengths = torch.tensor([len(line) for _, line in batch])
            targets = torch.tensor([c for c, _ in batch], dtype=torch.long)
            padded = pad_sequence(seqs)
            logits = rnn2(padded, lengths)
            loss = F.cross_entropy(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            record["losses2"].append(loss.item())
    with torch.no_grad():
        lines = [line for _, line in pairs[:batch_size]]
        padded = pad_sequence([lineToTensor(line).squeeze(1) for line in lines])
        record["padded"] = padded
        record["logits2"] = rnn2(padded, torch.tensor([len(line) for line in lines]))
    record["state2"] = rnn2.state_dict()
    return record


if __name__ == '__main__':
    names = {"English": ["Smith", "Jones", "Taylor", "Brown"],
             "French": ["Dubois", "Lefèvre", "Moreau", "Girard"],
             "Japanese": ["Sato", "Suzuki", "Takahashi", "Tanaka"]}
    order = [(c, i) for i in range(4) for c in range(3)] * 3
    torch.manual_seed(0)
    record = run(build(), {"names": names, "order": order, "query": "Dovesky"})
    print(record["losses"][0], record["losses"][-1], record["predictions"])
