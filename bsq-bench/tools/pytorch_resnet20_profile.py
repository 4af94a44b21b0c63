"""Per-operator breakdown of the PyTorch ResNet-20 float training step and of inference, to compare with
`ONEDNN_VERBOSE=1 ./bsq bench train-step` (see docs/decisions/0001-training-engine-onednn.md).

Same network, batch, threads and optimizer as ../shared/tools/pytorch_resnet20_step.py (float mode).
Run with Debian's python3-torch:  OMP_NUM_THREADS=2 /usr/bin/python3 bsq-bench/tools/pytorch_resnet20_profile.py
Prints: the median ms per training step, the inference ms per batch of 128 (eval mode, no_grad), and the operator
table of torch.profiler over 10 training steps (self CPU time per step)."""
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.set_flush_denormal(True)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        o = F.relu(self.b1(self.c1(x)))
        o = self.b2(self.c2(o))
        return F.relu(o + (self.down(x) if self.down is not None else x))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        return self.fc(F.adaptive_avg_pool2d(self.layers(x), 1).flatten(1))


model = ResNet20().train()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True)
g = torch.Generator().manual_seed(1)
xs = [torch.randn(128, 3, 32, 32, generator=g) for _ in range(4)]
ys = [torch.randint(0, 10, (128,), generator=g) for _ in range(4)]


def step(i):
    out = model(xs[i % 4])
    loss = F.cross_entropy(out, ys[i % 4])
    opt.zero_grad()
    loss.backward()
    opt.step()


times = []
for it in range(30):
    t = time.perf_counter()
    step(it)
    if it >= 8:
        times.append(1000 * (time.perf_counter() - t))
print(f"train ms_per_step {statistics.median(times):.1f}")

model.eval()
with torch.no_grad():
    for _ in range(3):
        model(xs[0])
    inf = []
    for _ in range(20):
        t = time.perf_counter()
        model(xs[0])
        inf.append(1000 * (time.perf_counter() - t))
med = statistics.median(inf)
print(f"infer ms_per_batch {med:.1f} img_per_s {128000 / med:.0f}")

model.train()
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
    for it in range(10):
        step(it)
rows = []
for e in prof.key_averages():
    rows.append((e.self_cpu_time_total / 1000 / 10, e.count // 10, e.key))
rows.sort(reverse=True)
print("self ms/step  calls/step  op")
for ms, n, key in rows[:25]:
    print(f"{ms:10.1f} {n:10d}  {key}")
