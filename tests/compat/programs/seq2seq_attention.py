import torch
import torch.nn as nn
from torch import optim
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader, SequentialSampler
import numpy as np
# ruff: noqa  (kept in the style of the PyTorch tutorial, which this program follows)

# PyTorch tutorial "NLP From Scratch: Translation with a Sequence to Sequence Network and
# Attention": a GRU encoder and a GRU decoder with Bahdanau (additive) attention, trained with
# two Adam optimizers on NLLLoss, with or without teacher forcing; evaluate() decodes greedily one
# sentence at a time and returns the decoded ids and the attention weights.
#
# The caller hands in the "sentences" already as token ids: `input_ids`, `target_ids` (N×MAX_LENGTH
# int32, EOS-terminated, zero-padded, as the tutorial's get_dataloader makes them) and `eval`, a
# list of unpadded input sentences (lists of ids, without EOS). Departures from the tutorial, to
# keep the two libraries' runs identical: dropout_p=0 (a dropout mask comes from the library's own
# RNG) and a SequentialSampler in place of the RandomSampler (likewise for the shuffling).

device = torch.device("cpu")

SOS_token = 0
EOS_token = 1
MAX_LENGTH = 8


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size

        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)

        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)

        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1, max_length=MAX_LENGTH):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)
        self.max_length = max_length

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []

        for i in range(self.max_length):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs
            )
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)

            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()

        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)

        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))

        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)

        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)

        return output, hidden, attn_weights


def get_dataloader(input_ids, target_ids, batch_size):
    train_data = TensorDataset(torch.LongTensor(input_ids).to(device),
                               torch.LongTensor(target_ids).to(device))

    train_sampler = SequentialSampler(train_data)
    train_dataloader = DataLoader(train_data, sampler=train_sampler, batch_size=batch_size)
    return train_dataloader


def train_epoch(dataloader, encoder, decoder, encoder_optimizer,
                decoder_optimizer, criterion, teacher_forcing, losses):

    total_loss = 0
    for data in dataloader:
        input_tensor, target_tensor = data

        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        if teacher_forcing:
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)
        else:
            decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden)

        loss = criterion(
            decoder_outputs.view(-1, decoder_outputs.size(-1)),
            target_tensor.view(-1)
        )
        loss.backward()

        encoder_optimizer.step()
        decoder_optimizer.step()

        total_loss += loss.item()
        losses.append(loss.item())

    return total_loss / len(dataloader)


def train(train_dataloader, encoder, decoder, n_epochs, learning_rate=0.001,
          teacher_forcing=True):
    losses = []
    epoch_losses = []

    encoder_optimizer = optim.Adam(encoder.parameters(), lr=learning_rate)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=learning_rate)
    criterion = nn.NLLLoss()

    for epoch in range(1, n_epochs + 1):
        loss = train_epoch(train_dataloader, encoder, decoder, encoder_optimizer,
                           decoder_optimizer, criterion, teacher_forcing, losses)
        epoch_losses.append(loss)

    return losses, epoch_losses


def tensorFromSentence(indexes):
    indexes = list(indexes) + [EOS_token]
    return torch.tensor(indexes, dtype=torch.long, device=device).view(1, -1)


def evaluate(encoder, decoder, sentence):
    with torch.no_grad():
        input_tensor = tensorFromSentence(sentence)

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)

        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()

        decoded_words = []
        for idx in decoded_ids:
            if idx.item() == EOS_token:
                decoded_words.append(EOS_token)
                break
            decoded_words.append(idx.item())
    return decoded_words, decoder_attn, decoder_outputs


def build(input_size=12, output_size=12, hidden_size=16, dropout_p=0.0, max_length=MAX_LENGTH):
    encoder = EncoderRNN(input_size, hidden_size, dropout_p).to(device)
    decoder = AttnDecoderRNN(hidden_size, output_size, dropout_p, max_length).to(device)
    return encoder, decoder


def run(model, data, n_epochs=2, batch_size=8, learning_rate=0.01, teacher_forcing=True):
    encoder, decoder = model
    train_dataloader = get_dataloader(data["input_ids"], data["target_ids"], batch_size)

    encoder.train()
    decoder.train()
    losses, epoch_losses = train(train_dataloader, encoder, decoder, n_epochs, learning_rate,
                                 teacher_forcing)

    encoder.eval()
    decoder.eval()
    decoded, attentions, log_probs = [], [], []
    for sentence in data["eval"]:
        decoded_words, decoder_attn, decoder_outputs = evaluate(encoder, decoder, sentence)
        decoded.append(np.array(decoded_words, dtype=np.int64))
        attentions.append(decoder_attn)
        log_probs.append(decoder_outputs)

    return {"losses": losses, "epoch_losses": epoch_losses,
            "encoder": encoder.state_dict(), "decoder": decoder.state_dict(),
            "decoded": decoded, "attentions": attentions, "log_probs": log_probs}


if __name__ == '__main__':
    rng = np.random.default_rng(0)
    n = 256
    input_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    target_ids = np.zeros((n, MAX_LENGTH), dtype=np.int32)
    for idx in range(n):
        inp = list(rng.integers(2, 12, rng.integers(3, MAX_LENGTH)))
        tgt = inp[::-1]
        input_ids[idx, :len(inp) + 1] = inp + [EOS_token]
        target_ids[idx, :len(tgt) + 1] = tgt + [EOS_token]
    torch.manual_seed(0)
    record = run(build(), {"input_ids": input_ids, "target_ids": target_ids,
                           "eval": [[2, 3, 4, 5], [9, 8, 7]]}, n_epochs=20)
    print(record["epoch_losses"][0], record["epoch_losses"][-1], record["decoded"])
