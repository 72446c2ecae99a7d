import torch
import torch.nn as nn
import torch.nn.parallel
import torch.optim as optim
import torch.utils.data
from torch.utils.data import DataLoader, TensorDataset
# ruff: noqa  (kept in the style of pytorch/examples, which this program follows)

# pytorch/examples dcgan/main.py, scaled down to nc×16×16 images (three layers per network
# instead of five): a ConvTranspose2d/BatchNorm2d/ReLU generator and a Conv2d/BatchNorm2d/
# LeakyReLU discriminator, initialised by weights_init through Module.apply, trained against each
# other with BCELoss and two Adam optimizers (beta1 = 0.5). The real images (N×nc×16×16 in
# [-1, 1], as after transforms.Normalize((0.5,), (0.5,))) come with the latent noise for each
# sample (N×nz×1×1) in one dataset, and fixed_noise comes with the data too, because the two
# libraries' RNGs differ (the example draws both with torch.randn).


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.constant_(m.bias, 0)


class Generator(nn.Module):
    def __init__(self, ngpu, nz, ngf, nc):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(     nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2,     ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(    ngf,      nc, 4, 2, 1, bias=False),
            nn.Tanh()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class Discriminator(nn.Module):
    def __init__(self, ngpu, ndf, nc):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)

        return output.view(-1, 1).squeeze(1)


def build(nz=8, ngf=8, ndf=8, nc=1, ngpu=1, netG='', netD=''):
    netG_path, netD_path = netG, netD
    netG = Generator(ngpu, nz, ngf, nc)
    netG.apply(weights_init)
    if netG_path != '':
        netG.load_state_dict(torch.load(netG_path))
    netD = Discriminator(ngpu, ndf, nc)
    netD.apply(weights_init)
    if netD_path != '':
        netD.load_state_dict(torch.load(netD_path))
    return netG, netD


def run(model, data, niter=1, batchSize=8, lr=0.0002, beta1=0.5, outf=None, verbose=False):
    """Train on data["images"] with data["noise"]; return the losses and both final states."""
    netG, netD = model
    device = torch.device("cpu")
    dtype = torch.get_default_dtype()
    dataset = TensorDataset(torch.from_numpy(data["images"]).to(dtype),
                            torch.from_numpy(data["noise"]).to(dtype))
    dataloader = torch.utils.data.DataLoader(dataset, batch_size=batchSize, shuffle=False)
    netG, netD = netG.to(device), netD.to(device)

    criterion = nn.BCELoss()

    fixed_noise = torch.from_numpy(data["fixed_noise"]).to(dtype).to(device)
    real_label = 1
    fake_label = 0

    optimizerD = optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))

    record = {"errD": [], "errG": [], "D_x": [], "D_G_z1": [], "D_G_z2": []}
    for epoch in range(niter):
        for i, data in enumerate(dataloader, 0):
            netD.zero_grad()
            real_cpu = data[0].to(device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label,
                               dtype=real_cpu.dtype, device=device)

            output = netD(real_cpu)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = data[1].to(device)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach())
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()

            if verbose:
                print('[%d/%d][%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
                      % (epoch, niter, i, len(dataloader),
                         errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
            record["errD"].append(errD.item())
            record["errG"].append(errG.item())
            record["D_x"].append(D_x)
            record["D_G_z1"].append(D_G_z1)
            record["D_G_z2"].append(D_G_z2)

        if outf is not None:
            torch.save(netG.state_dict(), '%s/netG_epoch_%d.pth' % (outf, epoch))
            torch.save(netD.state_dict(), '%s/netD_epoch_%d.pth' % (outf, epoch))

    fake = netG(fixed_noise)
    record["fake"] = fake.detach()
    record["netG"] = netG.state_dict()
    record["netD"] = netD.state_dict()
    return record


if __name__ == '__main__':
    import numpy as np
    rng = np.random.default_rng(0)
    images = np.tanh(rng.normal(size=(64, 1, 16, 16)))
    torch.manual_seed(0)
    record = run(build(), {"images": images, "noise": rng.normal(size=(64, 8, 1, 1)),
                           "fixed_noise": rng.normal(size=(8, 8, 1, 1))}, verbose=True)
