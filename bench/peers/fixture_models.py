"""The fixtures' mlp and lenet in PyTorch (same architectures as fixtures/models, see its README.md and
op_summary.json), shared by the training peers. Import it after peer.start(), which checks that torch imports."""
from torch import nn


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)), (64,)


def lenet():
    features = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
    )
    classifier = nn.Sequential(
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    return nn.Sequential(features, classifier), (1, 28, 28)


# Each builder returns the model and the shape of one sample.
BUILDERS = {"mlp": mlp, "lenet": lenet}
