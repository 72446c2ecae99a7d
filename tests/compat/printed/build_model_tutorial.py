import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
print(model)
X = torch.rand(1, 28, 28)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
input_image = torch.rand(3, 28, 28)
print(input_image.size())
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28 * 28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
print(f"Before ReLU: {hidden1}\n\n")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1}")
print(f"Model structure: {model}\n\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")
print(model.state_dict()["linear_relu_stack.0.bias"][:5])
print([k for k in model.state_dict()])
conv = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                     nn.Dropout(0.25), nn.Flatten(), nn.Linear(4 * 14 * 14, 3))
print(conv)
out = conv(torch.randn(2, 1, 28, 28))
print(out, out.shape)
loss = F.cross_entropy(out, torch.tensor([0, 2]))
print(loss)
loss.backward()
print(conv[0].weight.grad[0, 0])
print(conv[1].running_mean, conv[1].num_batches_tracked)
rnn = nn.LSTM(4, 3, batch_first=True)
print(rnn)
o, (h, c) = rnn(torch.randn(2, 5, 4))
print(o[:, -1], h, c.shape)
emb = nn.Embedding(10, 3, padding_idx=0)
print(emb, emb(torch.tensor([[0, 2], [4, 9]])))
print(nn.MultiheadAttention(8, 2, batch_first=True).in_proj_weight.shape)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
print(opt)
print(sched.get_last_lr())
