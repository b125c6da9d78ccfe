using FedLlm.Bench.Peer;

namespace FedLlm.Tests.Bench;

/// <summary>
/// A theory that needs the bench's PyTorch peer (Debian's python3-torch at /usr/bin/python3). Without it the test is
/// skipped with the message naming what is missing; the product never needs Python, so neither does CI.
/// </summary>
public sealed class PyTorchPeerTheoryAttribute : TheoryAttribute
{
    private static readonly Lazy<string?> Missing = new(() => PyTorchPeer.Unavailable(PyTorchPeer.DefaultPython));

    public PyTorchPeerTheoryAttribute()
    {
        if (Missing.Value is { } reason) Skip = reason + " (test skipped)";
    }
}
