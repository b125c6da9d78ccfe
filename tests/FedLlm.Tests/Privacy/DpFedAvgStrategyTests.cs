using FedLlm.Federation.Client;
using FedLlm.Federation.Privacy;
using FedLlm.Foundation.Randomness;
using FedLlm.Federation.Strategies;
using FedLlm.Privacy.Accounting;
using FedLlm.Privacy.Mechanisms;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Privacy;

public class DpFedAvgStrategyTests
{
    private const int P = 6;

    private static DpFedAvgStrategy Wrap(string algorithm, double z = 1.0, double clip = 1.0, double? quantile = null, bool clientSide = false,
        double? budget = null, double? countNoise = null) =>
        new(StrategyRegistry.Create(new StrategyOptions { Algorithm = algorithm, TotalClients = 10, ClientsPerRound = 4, LearningRate = 0.1 }),
            new ClientDpOptions
            {
                NoiseMultiplier = z, ClipNorm = clip, ClientsPerRound = 4, TotalClients = 10, AdaptiveQuantile = quantile,
                ClientSideNoise = clientSide, EpsilonBudget = budget, AdaptiveCountNoise = countNoise,
                // Seeded so the tests can regenerate the exact noise; real runs draw it from the OS CSPRNG.
                ReproducibleNoise = true,
            }, runSeed: 3);

    private static ClientUpdate[] Updates(float[] global, params float[] scales) =>
        scales.Select((s, i) => new ClientUpdate(i, 10 * (i + 1), global.Select((g, j) => g + s * (j % 2 == 0 ? 1f : -1f)).ToArray())).ToArray();

    [Fact]
    public void Server_side_fixed_clipping_matches_the_dp_fedavg_mechanism_and_fedavg_applies_the_private_mean()
    {
        var strategy = Wrap("fedavg", z: 0.7, clip: 0.5);
        float[] global = [1, 2, 3, 4, 5, 6];
        var updates = Updates(global, 0.01f, 2f, -3f);
        float[] next = strategy.Aggregate(0, global, updates, 10);

        var deltas = updates.Select(u => u.Weights.Select((w, j) => w - global[j]).ToArray()).ToList();
        using var noise = new SeededGaussianSource(SeedDerivation.Derive(3, DpFedAvgStrategy.NoisePurpose, 0));
        float[] mean = DpFedAvg.AggregateWithCentralNoise(deltas, 0.5, 0.7, noise, fixedDenominator: 4);
        for (int j = 0; j < P; j++) Assert.Equal(global[j] + mean[j], next[j], 1e-6f);
        Assert.Equal(NoiseCalibration.EpsilonForNoise(0.7, 1e-5, 0.4, 1), strategy.Epsilon, 1e-12);
        Assert.Equal("fedavg+client-dp", strategy.Name);
    }

    [Fact]
    public void Epsilon_composes_over_rounds_and_the_state_round_trips_bit_identically()
    {
        var strategy = Wrap("fedadam", z: 1.1, clip: 0.2, quantile: 0.5, countNoise: 2.0);
        float[] global = [.. Enumerable.Range(0, P).Select(i => (float)i)];
        for (int round = 0; round < 3; round++) global = strategy.Aggregate(round, global, Updates(global, 0.05f, 0.5f, 1f, 0.01f), 10);
        var expected = new RdpAccountant();
        expected.Record(1.1, 0.4, 3);
        Assert.Equal(expected.GetEpsilon(1e-5), strategy.Epsilon, 1e-12);
        Assert.NotEqual(0.2, strategy.ClipNorm); // adaptive clipping moved C

        using var saved = new MemoryStream();
        strategy.SaveState(saved);
        var resumed = Wrap("fedadam", z: 1.1, clip: 0.2, quantile: 0.5, countNoise: 2.0);
        saved.Position = 0;
        resumed.LoadState(saved);
        Assert.Equal(strategy.ClipNorm, resumed.ClipNorm);
        Assert.Equal(strategy.Epsilon, resumed.Epsilon);
        var updates = Updates(global, 0.3f, 0.02f);
        Assert.Equal(strategy.Aggregate(3, global, updates, 10), resumed.Aggregate(3, global, updates, 10));
    }

    [Fact]
    public void Client_side_noise_is_planned_for_clients_and_the_server_only_averages_over_m()
    {
        var strategy = Wrap("fedavg", z: 1.0, clip: 0.3, clientSide: true);
        var plan = strategy.PlanRound(0, new float[P]);
        Assert.Equal(new ClientNoisePlan(0.3, 1.0, 4), plan.ClientNoise);
        float[] global = new float[P];
        var updates = Updates(global, 1f, 3f);
        float[] next = strategy.Aggregate(0, global, updates, 10);
        for (int j = 0; j < P; j++) Assert.Equal((updates[0].Weights[j] + updates[1].Weights[j]) / 4f, next[j], 1e-6f);
    }

    [Fact]
    public void A_budget_is_exhausted_when_the_next_round_would_pass_it()
    {
        double afterTwo = NoiseCalibration.EpsilonForNoise(1.0, 1e-5, 0.4, 2);
        var strategy = Wrap("fedavg", budget: afterTwo + 1e-9);
        float[] global = new float[P];
        Assert.False(strategy.BudgetExhausted);
        global = strategy.Aggregate(0, global, Updates(global, 0.1f), 10);
        Assert.False(strategy.BudgetExhausted);
        strategy.Aggregate(1, global, Updates(global, 0.1f), 10);
        Assert.True(strategy.BudgetExhausted);
    }

    [Fact]
    public void Strategies_that_send_unprivatised_extras_or_do_not_aggregate_are_rejected()
    {
        foreach (string algorithm in new[] { "scaffold", "local" })
            Assert.Contains("cannot wrap", Assert.Throws<ArgumentException>(() => Wrap(algorithm)).Message);
        Assert.Contains("fixed clipping only", Assert.Throws<ArgumentException>(() => Wrap("fedavg", quantile: 0.5, clientSide: true)).Message);
    }

    [Fact]
    public void Client_accountants_persist_in_the_state_store_bit_for_bit_and_roll_back_with_it()
    {
        using var temp = new TempDirectory();
        var store = new ClientStateStore(temp.File("state"));
        var accountant = new RdpAccountant();
        accountant.Record(0.9, 0.05, 30);
        store.Write(2, LocalClientTrainer.AccountantKey, 0, AccountantVector.Encode(accountant));
        accountant.Record(0.9, 0.05, 30);
        accountant.Record(1.3, 0.02, 7);
        store.Write(2, LocalClientTrainer.AccountantKey, 1, AccountantVector.Encode(accountant));

        var restored = LocalClientTrainer.AccountantOf(store, 2, 2).Accountant;
        Assert.Equal(accountant.TotalRdp, restored.TotalRdp);
        Assert.Equal(accountant.History, restored.History);
        Assert.Equal(accountant.GetEpsilon(1e-5), restored.GetEpsilon(1e-5));

        store.RollBackTo(0); // resuming after round 0 forgets round 1's spend
        Assert.Equal(30, LocalClientTrainer.AccountantOf(store, 2, 2).Accountant.TotalSteps);
        Assert.Equal(0, LocalClientTrainer.AccountantOf(store, 3, 2).Accountant.TotalSteps);
        Assert.Throws<InvalidDataException>(() => AccountantVector.Decode([1f, 2f, 3f], "test"));
    }
}
