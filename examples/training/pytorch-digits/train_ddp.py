"""Distributed data-parallel training of a digits classifier, as a Capstan TrainingJob replica.

Every replica runs this file. Capstan sets the env:// rendezvous variables (MASTER_ADDR,
MASTER_PORT, WORLD_SIZE, RANK), CAPSTAN_OUTPUT_DIR and CAPSTAN_METRICS_FILE. The data is
scikit-learn's digits set (8x8 images, shipped with scikit-learn); each rank trains on its shard
with the gloo backend on CPU, gradients are averaged by DistributedDataParallel, and rank 0
evaluates on a held-out split, reports metrics and exports the model to ONNX.
"""
import argparse
import json
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def report(**metrics):
    # The documented metric line: the platform reads it from the replica's log.
    print("CAPSTAN_METRIC " + json.dumps(metrics), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()

    torch.manual_seed(0)
    dist.init_process_group("gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    print(f"rank {rank}/{world} joined at {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", flush=True)

    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.long)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    shard = torch.arange(rank, len(x_train), world)
    xs, ys = x_train[shard], y_train[shard]

    model = DistributedDataParallel(nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10)))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    # Every rank takes the same number of steps, or the all-reduce would wait forever.
    steps = len(x_train) // world // args.batch_size
    gen = torch.Generator().manual_seed(rank)
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(xs), generator=gen)
        total = 0.0
        model.train()
        for s in range(steps):
            idx = order[s * args.batch_size:(s + 1) * args.batch_size]
            opt.zero_grad()
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            opt.step()
            total += loss.item()
        mean = torch.tensor([total / steps])
        dist.all_reduce(mean)
        if rank == 0 and (epoch % 5 == 0 or epoch == args.epochs):
            model.eval()
            with torch.no_grad():
                acc = (model(x_test).argmax(1) == y_test).float().mean().item()
            report(step=epoch, loss=round(mean.item() / world, 5), accuracy=round(acc, 5))

    if rank == 0:
        out = os.environ.get("CAPSTAN_OUTPUT_DIR", ".")
        os.makedirs(out, exist_ok=True)
        net = model.module.eval()
        torch.onnx.export(net, torch.zeros(1, 64), os.path.join(out, "model.onnx"), input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13)
        # The held-out split, so a client can check the served model against the reported accuracy.
        with open(os.path.join(out, "heldout.json"), "w") as f:
            json.dump({"inputs": x_test.tolist(), "labels": y_test.tolist()}, f)
        print("exported model.onnx", flush=True)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
