using FedLlm.Federation.Client;
using FedLlm.Federation.Engine;

namespace FedLlm.Transport.Protocol;

/// <summary>A piece of work for one member: train for a round, or score a model on its held-out data.</summary>
/// <param name="EvaluateBase">Evaluation only: score the base model (adapters off) instead of the task's weights.</param>
public sealed record MemberTask(TaskKind Kind, ClientTask Task, bool EvaluateBase = false);

/// <summary>What a member answers to a <see cref="MemberTask"/>.</summary>
public abstract record MemberAnswer
{
    public sealed record Trained(ClientResult Result) : MemberAnswer;

    public sealed record Evaluated(ClientScore Score) : MemberAnswer;

    /// <summary>The member could not do the task (its privacy budget is spent, its data does not fit): the round goes on without it.</summary>
    public sealed record Failed(string Reason) : MemberAnswer;
}
