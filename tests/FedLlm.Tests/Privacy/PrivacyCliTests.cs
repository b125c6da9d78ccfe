using System.Globalization;
using System.Text.Json.Nodes;
using FedLlm.Privacy.Accounting;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Privacy;

public class PrivacyCliTests
{
    [Fact]
    public void Epsilon_command_prints_the_accountants_number_and_json()
    {
        var plain = CliProcess.Run("privacy", "epsilon", "--noise", "1.5", "--sample-rate", "0.04", "--steps", "2250", "--delta", "1e-5");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        double epsilon = double.Parse(plain.Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(NoiseCalibration.EpsilonForNoise(1.5, 1e-5, 0.04, 2250), epsilon);
        Assert.True(Math.Abs(epsilon - 7.32911117143) < 0.01 * 7.32911117143); // Opacus accountants_test

        var json = CliProcess.Run("privacy", "epsilon", "--noise", "1.5", "--sample-rate", "0.04", "--steps", "2250", "--json");
        Assert.Equal(0, json.ExitCode);
        var node = JsonNode.Parse(json.Stdout)!;
        Assert.Equal(epsilon, node["epsilon"]!.GetValue<double>());
        Assert.Equal(1e-5, node["delta"]!.GetValue<double>()); // the default δ
        Assert.Equal(2250, node["steps"]!.GetValue<long>());
    }

    [Fact]
    public void Noise_command_inverts_the_epsilon_command()
    {
        var result = CliProcess.Run("privacy", "noise", "--epsilon", "8", "--sample-rate", "0.04", "--steps", "2250", "--delta", "1e-5");
        Assert.True(result.ExitCode == 0, result.Stderr);
        double sigma = double.Parse(result.Stdout.Trim(), CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(sigma - 1.416) < 0.01 * 1.416, $"σ = {sigma}"); // Opacus get_noise_multiplier, 90 epochs at q = 0.04
        var json = JsonNode.Parse(CliProcess.Run("privacy", "noise", "--epsilon", "8", "-q", "0.04", "-T", "2250", "--json").Stdout)!;
        Assert.Equal(sigma, json["noise_multiplier"]!.GetValue<double>());
        Assert.InRange(json["epsilon"]!.GetValue<double>(), 8 - 1e-4, 8);
    }

    [Fact]
    public void Bad_arguments_fail_with_one_clear_line()
    {
        var missing = CliProcess.Run("privacy", "epsilon", "--sample-rate", "0.01", "--steps", "10");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--noise", missing.Stderr);
        var badRate = CliProcess.Run("privacy", "epsilon", "--noise", "1", "--sample-rate", "1.5", "--steps", "10");
        Assert.Equal(1, badRate.ExitCode);
        Assert.Contains("error:", badRate.Stderr);
        Assert.DoesNotContain("   at ", badRate.Stderr);
    }
}
