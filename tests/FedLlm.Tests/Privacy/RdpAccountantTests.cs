using FedLlm.Privacy.Accounting;

namespace FedLlm.Tests.Privacy;

public class RdpAccountantTests
{
    public static TheoryData<string, double, double, long, double, string, double, double> ReferenceVectors => new()
    {
        // https://github.com/pytorch/opacus/blob/main/opacus/tests/accountants_test.py (Opacus grid, signed sum): 7.32911117143 at α = 3.9.
        { "opacus accountants_test", 1.5, 0.04, 2250, 1e-5, "Opacus", 7.32911117143, 3.9 },
        // https://github.com/tensorflow/privacy/blob/master/tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py
        // (TF grid): q = batch/n, steps = ceil(epochs·n/batch). Test0: n 60000, batch 150, σ 1.3, 15 epochs.
        { "tf compute_dp_sgd_privacy_test #1", 1.3, 0.0025, 6000, 1e-5, "TF", 0.7242234026109595, 19 },
        // Same file, Test1: n 100000, batch 100, σ 1.0, 30 epochs, δ 1e-7.
        { "tf compute_dp_sgd_privacy_test #2", 1.0, 0.001, 30000, 1e-7, "TF", 1.4154988495444842, 13 },
        // Same file, Test2: n 1e8, batch 1024, σ 0.1, 10 epochs: the huge-ε case 5,907,982.31 at α = 1.25.
        { "tf compute_dp_sgd_privacy_test #3", 0.1, 1.024e-5, 976563, 1e-7, "TF", 5907982.3113984, 1.25 },
        // Independent cross-check values (research notes §6), Opacus grid, signed sum.
        { "cross-check a", 1.0, 0.1, 200, 1e-5, "Opacus", 11.0157, 2.8 },
        { "cross-check b", 1.0, 0.01, 1000, 1e-5, "Opacus", 2.1014, 7.8 },
        { "cross-check c", 2.0, 0.2, 200, 1e-5, "Opacus", 8.0103, 3.6 },
    };

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public void Reference_epsilons_are_reproduced_within_one_percent_under_both_summations(
        string source, double sigma, double q, long steps, double delta, string grid, double expected, double expectedOrder)
    {
        foreach (var summation in new[] { FractionalOrderSummation.SignedTerms, FractionalOrderSummation.AbsoluteTerms })
        {
            var accountant = new RdpAccountant(new RdpAccountingOptions(Grid(grid), summation));
            accountant.Record(sigma, q, steps);
            double epsilon = accountant.GetEpsilon(delta, out double order);
            Assert.True(Math.Abs(epsilon - expected) <= 0.01 * expected, $"{source} ({summation}): ε = {epsilon:R}, expected {expected}");
            if (summation == FractionalOrderSummation.SignedTerms) Assert.Equal(expectedOrder, order);
        }
    }

    [Theory]
    [MemberData(nameof(ReferenceVectors))]
    public void Signed_summation_reproduces_the_reference_digits(
        string source, double sigma, double q, long steps, double delta, string grid, double expected, double expectedOrder)
    {
        _ = expectedOrder;
        var accountant = new RdpAccountant(new RdpAccountingOptions(Grid(grid), FractionalOrderSummation.SignedTerms));
        accountant.Record(sigma, q, steps);
        double epsilon = accountant.GetEpsilon(delta);
        // The cross-check values are quoted to 4-5 significant digits, the library values to 10 or more.
        double rtol = expected.ToString("R").Length > 9 ? 1e-9 : 5e-5;
        Assert.True(Math.Abs(epsilon - expected) <= rtol * expected, $"{source}: ε = {epsilon:R}, expected {expected:R}");
    }

    public static TheoryData<double, int, double, string> MnistTutorialVectors => new()
    {
        // TF-Privacy's MNIST tutorial (N = 60000, batch 256, δ = 1e-5) in tutorials/README.md,
        // https://github.com/tensorflow/privacy/blob/master/tutorials/README.md. That code converted RDP to ε with the
        // classic bound (Mironov 2017) on the orders 1.1..10.9, 12..63, and ran ⌊epochs·60000/256⌋ steps.
        // 2019 revision: "compute_dp_sgd_privacy.py --N=60000 --batch_size=256 --noise_multiplier=1.1 --epochs=60
        // --delta=1e-5 ... satisfies differential privacy with eps = 3.01", and its parameter table.
        { 1.1, 60, 3.01, "tutorials/README.md (2019): default parameters" },
        { 1.3, 15, 1.19, "tutorials/README.md (2019): table row σ 1.3" },
        { 0.7, 45, 7.10, "tutorials/README.md (2019): table row σ 0.7" },
        // Later revision (commit 047e1eef0e446daf41a9adbb712c546ebbd38c12), "Select Parameters" table.
        { 1.12, 60, 2.92, "tutorials/README.md (047e1ee): default row" },
        { 0.6, 30, 9.74, "tutorials/README.md (047e1ee): σ 0.6" },
        { 1.2, 10, 1.20, "tutorials/README.md (047e1ee): σ 1.2" },
    };

    [Theory]
    [MemberData(nameof(MnistTutorialVectors))]
    public void Tf_privacy_mnist_tutorial_epsilons_are_reproduced_within_one_percent(double sigma, int epochs, double expected, string source)
    {
        var accountant = new RdpAccountant(RdpAccountingOptions.Default with { Conversion = EpsilonConversion.Classic });
        accountant.Record(sigma, 256.0 / 60000, epochs * 60000L / 256);
        double epsilon = accountant.GetEpsilon(1e-5);
        Assert.True(Math.Abs(epsilon - expected) <= 0.01 * expected, $"{source}: ε = {epsilon:R}, published {expected}");
    }

    [Fact]
    public void Huge_epsilon_case_differs_between_summations_only_in_the_last_digits()
    {
        // tensorflow_privacy compute_dp_sgd_privacy_test.py: dp_accounting (|terms|) 5907982.3113984, legacy signed ...2.31138.
        var absolute = new RdpAccountant(new RdpAccountingOptions(RdpOrders.TensorFlowPrivacy));
        absolute.Record(0.1, 1.024e-5, 976563);
        Assert.Equal(5907982.3113984, absolute.GetEpsilon(1e-7), 1e-5);
    }

    [Fact]
    public void Heterogeneous_steps_compose()
    {
        // opacus/accountants/analysis/rdp.py docstring: 10 steps (σ=1, q=1e-5) then 4 steps (σ=3, q=1e-4),
        // orders 2..32, δ = 1e-5 → ε ≈ 0.336 at α = 23.
        var accountant = new RdpAccountant(new RdpAccountingOptions(RdpOrders.Integers(2, 32)));
        accountant.Record(1.0, 1e-5, 10);
        accountant.Record(3.0, 1e-4, 4);
        double epsilon = accountant.GetEpsilon(1e-5, out double order);
        Assert.Equal(0.336, epsilon, 0.0005);
        Assert.Equal(23, order);
        Assert.Equal(14, accountant.TotalSteps);
        Assert.Equal(2, accountant.History.Count);
    }

    [Fact]
    public void Full_sampling_gives_epsilon_one_at_the_calibrated_noise()
    {
        // Research notes §6: q = 1 with σ = 4.530877117 is (1, 1e-6)-DP; a fine grid gets within 1e-6.
        var fineGrid = Enumerable.Range(1, 999).Select(x => 1.0 + x / 10.0).ToArray();
        var accountant = new RdpAccountant(new RdpAccountingOptions(fineGrid));
        accountant.Record(4.530877117, 1.0, 1);
        double epsilon = accountant.GetEpsilon(1e-6, out double order);
        Assert.Equal(1.0, epsilon, 1e-6);
        Assert.Equal(22.0, order);
    }

    [Fact]
    public void Composing_rounds_equals_recording_all_steps_and_exceeds_a_per_round_reset()
    {
        // KnowledgeSG restarts accounting every round; composing 100 rounds × 10 steps must equal 1000 steps.
        var composed = new RdpAccountant();
        for (int round = 0; round < 100; round++) composed.Record(1.0, 0.01, 10);
        var oneShot = new RdpAccountant();
        oneShot.Record(1.0, 0.01, 1000);
        Assert.Equal(oneShot.GetEpsilon(1e-5), composed.GetEpsilon(1e-5), 1e-9);
        Assert.Single(composed.History);

        var perRound = new RdpAccountant();
        perRound.Record(1.0, 0.01, 10);
        // A per-round reset would report ε ≈ 1.035 although the run as a whole is only (2.101, 1e-5)-DP.
        Assert.Equal(1.0353, perRound.GetEpsilon(1e-5), 1e-3);
        Assert.Equal(2.1014, composed.GetEpsilon(1e-5), 1e-3);
    }

    [Fact]
    public void RdpAt_returns_totals_on_the_grid_and_recomputes_off_it()
    {
        var accountant = new RdpAccountant();
        accountant.Record(2.5, 0.01, 30);
        accountant.Record(2.5, 0.01, 20);
        Assert.Equal(50 * SampledGaussianRdp.Compute(2.5, 0.01, 5.0), accountant.RdpAt(5.0), 1e-15);
        Assert.Equal(2.38460375e-2, accountant.RdpAt(50.0), 1e-4 * 2.38460375e-2);
        Assert.Equal(167.416308, accountant.RdpAt(100.0), 1e-4 * 167.416308); // 100 is not on the Opacus grid
        Assert.Equal(0.0, new RdpAccountant().RdpAt(7.25));
    }

    [Fact]
    public void State_round_trips_through_json_including_infinities()
    {
        var orders = RdpOrders.Integers(2, 10).Append(double.PositiveInfinity).ToArray();
        var accountant = new RdpAccountant(new RdpAccountingOptions(orders, FractionalOrderSummation.SignedTerms, EpsilonConversion.Classic));
        accountant.Record(1.2, 0.02, 100);
        accountant.Record(0.9, 0.05, 7);
        string json = accountant.ToJson();

        var resumed = RdpAccountant.FromJson(json);
        Assert.Equal(accountant.Orders, resumed.Orders);
        Assert.Equal(accountant.TotalRdp, resumed.TotalRdp);
        Assert.Equal(accountant.History, resumed.History);
        Assert.Equal(FractionalOrderSummation.SignedTerms, resumed.Summation);
        Assert.Equal(EpsilonConversion.Classic, resumed.Conversion);
        Assert.Equal(accountant.GetEpsilon(1e-5), resumed.GetEpsilon(1e-5));

        resumed.Record(1.2, 0.02, 50);
        accountant.Record(1.2, 0.02, 50);
        Assert.Equal(accountant.TotalRdp, resumed.TotalRdp);
    }

    [Fact]
    public void Corrupt_state_is_rejected_with_a_clear_message()
    {
        var state = new RdpAccountant().ExportState();
        var shortTotals = state with { TotalRdp = state.TotalRdp[..3] };
        Assert.Contains("RDP totals", Assert.Throws<ArgumentException>(() => RdpAccountant.FromState(shortTotals)).Message);
        var negative = state with { TotalRdp = state.TotalRdp.Select(_ => -1.0).ToArray() };
        Assert.Contains("must be >= 0", Assert.Throws<ArgumentException>(() => RdpAccountant.FromState(negative)).Message);
        Assert.Throws<FormatException>(() => RdpAccountant.FromJson("{ not json"));
    }

    [Fact]
    public void Fresh_accountant_and_zero_steps_report_zero_epsilon()
    {
        var accountant = new RdpAccountant();
        accountant.Record(1.0, 0.1, 0);
        Assert.Equal(0.0, accountant.GetEpsilon(1e-5)); // zero RDP passes dp_accounting's KL check: ε = 0
        accountant.Record(0.0, 0.0, 100);
        Assert.Equal(0.0, accountant.TotalRdp.Max());
    }

    [Fact]
    public void Classic_conversion_is_never_tighter_than_balle()
    {
        var balle = new RdpAccountant();
        var classic = new RdpAccountant(RdpAccountingOptions.Default with { Conversion = EpsilonConversion.Classic });
        balle.Record(1.1, 0.01, 5000);
        classic.Record(1.1, 0.01, 5000);
        Assert.True(classic.GetEpsilon(1e-5) > balle.GetEpsilon(1e-5));
    }

    private static IReadOnlyList<double> Grid(string name) => name switch
    {
        "Opacus" => RdpOrders.Opacus,
        "TF" => RdpOrders.TensorFlowPrivacy,
        _ => throw new ArgumentException(name),
    };
}
