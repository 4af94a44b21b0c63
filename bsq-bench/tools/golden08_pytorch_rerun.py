"""Re-runs golden 08 (one BSQ training step of the official recipe on the pretrained ResNet-20, 8 noise images) in
PyTorch, written from shared/golden/bsq/README.md with the same float32 operation order, and compares it with the
golden file. It is how the one near-zero mask decision pinned in TrainStepGoldenTest was found.

usage: /usr/bin/python3 golden08_pytorch_rerun.py [--shared ../shared] [--dtype float32|float64] [--threads N]
                                                   [--pin INDEX ...]
  --pin INDEX   zero the ReLU6 backward mask of element INDEX of the tensor entering layer1.1's second activation
                (47937 reproduces the golden generator's float rounding there)
Prints: CE, logits differences, and the worst relative gradient / after-step checksum difference per region.
Needs Debian's python3-torch (1.13) and numpy."""
import argparse, base64, json, os
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--shared', default=os.path.join(os.path.dirname(__file__), '..', '..', '..', 'shared'))
ap.add_argument('--dtype', default='float32', choices=['float32', 'float64'])
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--pin', type=int, nargs='*', default=[])
args = ap.parse_args()
torch.set_num_threads(args.threads)
DT = torch.float64 if args.dtype == 'float64' else torch.float32
G = json.load(open(os.path.join(args.shared, 'golden', 'bsq', '08_train_step.json')))
WD = os.path.join(args.shared, 'data', 'pretrained', 'resnet20-cifar10-fp32')
man = json.load(open(os.path.join(WD, 'manifest.json')))
SD = {t['name']: torch.from_numpy(np.fromfile(os.path.join(WD, t['file']), dtype='<f4').reshape(t['shape']))
      for t in man['tensors']}
N = 8
EXPS = torch.tensor([2.0 ** (N - 1 - i) / (2 ** N - 1) for i in range(N)], dtype=torch.float32).to(DT)


class BitSTE(torch.autograd.Function):
    """clamp to [-1, 1], round(|w| * step) / step * sign(w); identity backward (no clamp mask)."""
    @staticmethod
    def forward(ctx, w):
        w = torch.clamp(w, -1, 1)
        step = 2 ** N - 1
        return torch.round(torch.abs(w) * step) / step * torch.sign(w)

    @staticmethod
    def backward(ctx, g):
        return g


class ActSTE(torch.autograd.Function):
    """Per-tensor max-scaled 4-bit quantizer, S * (round(|x| * step / S) / step) * sign(x); identity backward."""
    @staticmethod
    def forward(ctx, x):
        s = torch.max(torch.abs(x))
        step = 15
        return s * (torch.round(torch.abs(x) * step / s) / step) * torch.sign(x)

    @staticmethod
    def backward(ctx, g):
        return g


class Pin(torch.autograd.Function):
    """Identity forward; zeroes the gradient at the given flat indices."""
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        g.view(-1)[args.pin] = 0
        return g


def planes(w):
    s = torch.max(torch.abs(w))
    step = 2 ** N - 1
    rp = torch.round(torch.where(w > 0, w, torch.zeros_like(w)) * step / s)
    rn = torch.round(torch.where(w <= 0, -w, torch.zeros_like(w)) * step / s)
    p, n = [], []
    for i in range(N):
        e = 2 ** (N - 1 - i)
        p.append(torch.floor(rp / e)); n.append(torch.floor(rn / e))
        rp = rp - torch.floor(rp / e) * e; rn = rn - torch.floor(rn / e) * e
    return nn.Parameter(torch.stack(p, -1).to(DT)), nn.Parameter(torch.stack(n, -1).to(DT)), nn.Parameter(s.clone().to(DT))


class BitConv(nn.Module):
    def __init__(self, w, stride, pad):
        super().__init__()
        self.pweight, self.nweight, self.scale = planes(w)
        self.stride, self.pad, self.count = stride, pad, w.numel()

    def forward(self, x):
        w = BitSTE.apply(torch.sum(torch.mul(self.pweight - self.nweight, EXPS), dim=-1)) * self.scale
        return F.conv2d(x, w, None, self.stride, self.pad)

    def reg(self):
        p = torch.cat((self.pweight, self.nweight), 0)
        return self.count * N * torch.sum(torch.sqrt(1e-8 + torch.sum(p ** 2, (0, 1, 2, 3))))


class BitLinear(nn.Module):
    def __init__(self, w, b):
        super().__init__()
        self.pweight, self.nweight, self.scale = planes(w)
        self.pbias, self.nbias, self.biasscale = planes(b)

    def forward(self, x):
        w = BitSTE.apply(torch.sum(torch.mul(self.pweight - self.nweight, EXPS), dim=-1)) * self.scale
        b = BitSTE.apply(torch.sum(torch.mul(self.pbias - self.nbias, EXPS), dim=-1)) * self.biasscale
        return F.linear(x, w, b)

    def reg(self):
        p = torch.cat((self.pweight, self.nweight), 0)
        r = self.pweight[..., 0].numel() * N * torch.sum(torch.sqrt(1e-8 + torch.sum(p ** 2, (0, 1))))
        p = torch.cat((self.pbias, self.nbias), 0)
        return r + self.pbias.shape[0] * N * torch.sum(torch.sqrt(1e-8 + torch.sum(p ** 2, 0)))


def bn(name, c):
    m = nn.BatchNorm2d(c)
    with torch.no_grad():
        for k in ('weight', 'bias', 'running_mean', 'running_var'):
            getattr(m, k).copy_(SD[name + '.' + k])
    return m.to(DT)


class Block(nn.Module):
    def __init__(self, pre, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = BitConv(SD[pre + '.conv1.weight'], stride, 1), bn(pre + '.bn1', cout)
        self.conv2, self.bn2 = BitConv(SD[pre + '.conv2.weight'], 1, 1), bn(pre + '.bn2', cout)
        self.downsample, self.pinned = None, pre == 'layer1.1' and bool(args.pin)
        if stride != 1 or cin != cout:
            c = nn.Conv2d(cin, cout, 1, stride, bias=False)
            with torch.no_grad():
                c.weight.copy_(SD[pre + '.downsample.0.weight'])
            self.downsample = nn.Sequential(c.to(DT), bn(pre + '.downsample.1', cout))

    def forward(self, x):
        o = ActSTE.apply(F.relu6(self.bn1(self.conv1(x))))
        o = self.bn2(self.conv2(o)) + (self.downsample(x) if self.downsample is not None else x)
        o = F.relu6(o)
        return ActSTE.apply(Pin.apply(o) if self.pinned else o)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = BitConv(SD['conv1.weight'], 1, 1), bn('bn1', 16)
        blocks, cin = [], 16
        for li, (cout, stride) in enumerate(((16, 1), (32, 2), (64, 2))):
            for i in range(3):
                blocks.append(Block(f'layer{li + 1}.{i}', cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layer1, self.layer2, self.layer3 = (nn.Sequential(*blocks[0:3]), nn.Sequential(*blocks[3:6]),
                                                 nn.Sequential(*blocks[6:9]))
        self.fc = BitLinear(SD['fc.weight'], SD['fc.bias'])

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x))))))
        return self.fc(F.avg_pool2d(x, 8).flatten(1))


def golden(t):
    return torch.tensor(t['data'], dtype=torch.float64) if 'data' in t else torch.from_numpy(
        np.array([int(h, 16) for h in t['hex']], dtype=np.uint32).view(np.float32).astype(np.float64))


net = Net()
u8 = np.frombuffer(base64.b64decode(G['input_batch']['images_uint8_base64']), dtype=np.uint8).reshape(8, 3, 32, 32)
mean = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
std = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
x = ((torch.from_numpy(u8.astype(np.float32)) / 255 - mean) / std).to(DT)
y = torch.tensor(G['input_batch']['labels'])
net.eval()
with torch.no_grad():
    d = (net(x).double().view(-1) - golden(G['eval_mode_logits_bit_model_before_step'])).abs().max().item()
print(f'dtype {args.dtype}, threads {args.threads}, pins {args.pin}')
print(f'eval-mode logits before the step: max |diff| {d:.3g}')
net.train()
out = net(x)
ce = F.cross_entropy(out, y)
loss = ce + 0.01 * sum(m.reg() for m in net.modules() if isinstance(m, (BitConv, BitLinear))) / G['TP']
print(f'train-mode logits: max |diff| {(out.detach().double().view(-1) - golden(G["train_step"]["train_mode_logits"])).abs().max().item():.3g}; '
      f'CE {ce.item():.9g} (golden {G["train_step"]["ce_loss"]["value"]:.9g})')
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
opt.zero_grad()
loss.backward()
grads = {n: p.grad.detach().double().clone() for n, p in net.named_parameters()}
opt.step()


def rel(t, c):
    s = max(c['sum_abs'], 1e-30)
    return max(abs(t.sum().item() - c['sum']) / s, abs(t.abs().sum().item() - c['sum_abs']) / s,
               abs((t * t).sum().item() - c['sum_sq']) / max(c['sum_sq'], 1e-30))


worst = {}
for n, p in net.named_parameters():
    c = G['all_parameters']['module.' + n]
    region = 'stem+layer1.0-1.1' if n.startswith(('conv1.', 'bn1.', 'layer1.0.', 'layer1.1.')) else 'the rest'
    kind = 'scale grads (abs)' if n.endswith('scale') else 'grads (rel)'
    g = abs(grads[n].sum().item() - c['grad']['sum']) if n.endswith('scale') else rel(grads[n], c['grad'])
    for key, v in (((region, kind), g), ((region, 'after step (rel)'), rel(p.detach().double(), c['after_step_before_clamp']))):
        if v > worst.get(key, (-1, ''))[0]:
            worst[key] = (v, n)
for (region, kind), (v, n) in sorted(worst.items()):
    print(f'{region:20s} {kind:18s} worst {v:.2e} ({n})')
