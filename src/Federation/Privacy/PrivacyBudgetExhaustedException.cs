namespace FedLlm.Federation.Privacy;

/// <summary>A client declined a round because training would spend more than its ε budget.</summary>
public sealed class PrivacyBudgetExhaustedException(int clientId, double epsilonAfterRound, double budget)
    : Exception($"privacy budget exhausted: client {clientId} would reach ε = {epsilonAfterRound:G4} > budget {budget:G4}")
{
    public int ClientId { get; } = clientId;
}
