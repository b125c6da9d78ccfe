using FedLlm.Federation.Engine;
using FedLlm.Transport.Protocol;

namespace FedLlm.Transport.Client;

/// <summary>What a federation member does with a task once the transport has delivered it.</summary>
public interface ILocalWork
{
    /// <summary>Called after every successful join (the first time with the id the server assigned).</summary>
    void Joined(JoinReply join);

    ClientResult Run(ClientTask task, CancellationToken cancellation);
}
