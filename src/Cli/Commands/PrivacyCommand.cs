using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedLlm.Privacy.Accounting;

namespace FedLlm.Cli.Commands;

/// <summary>
/// <c>fedllm privacy epsilon --noise σ --sample-rate q --steps T --delta δ</c> and
/// <c>fedllm privacy noise --epsilon ε --sample-rate q --steps T --delta δ</c>: the RDP accountant of the sampled Gaussian
/// mechanism (Opacus order grid, Balle et al. 2020 conversion). Prints the number alone, or JSON with --json.
/// </summary>
public static class PrivacyCommand
{
    public static Command Build()
    {
        var command = new Command("privacy", "Differential-privacy accounting for DP-SGD / DP-FedAvg (RDP accountant)");
        command.Add(EpsilonCommand());
        command.Add(NoiseCommand());
        return command;
    }

    private static Command EpsilonCommand()
    {
        var command = new Command("epsilon", "ε spent by T steps of the sampled Gaussian mechanism with noise multiplier σ and sampling rate q");
        var noise = new Option<double>("--noise") { Description = "Noise multiplier σ (noise std / clipping norm)", Required = true };
        var (rate, steps, delta, json) = Common(command);
        command.Add(noise);
        command.SetAction(parse =>
        {
            double sigma = parse.GetValue(noise);
            var accountant = new RdpAccountant();
            accountant.Record(sigma, parse.GetValue(rate), parse.GetValue(steps));
            double epsilon = accountant.GetEpsilon(parse.GetValue(delta), out double order);
            Print(parse.GetValue(json), epsilon, new JsonObject
            {
                ["epsilon"] = double.IsFinite(epsilon) ? epsilon : null,
                ["noise_multiplier"] = sigma,
                ["sample_rate"] = parse.GetValue(rate),
                ["steps"] = parse.GetValue(steps),
                ["delta"] = parse.GetValue(delta),
                ["best_order"] = double.IsFinite(order) ? order : null,
            });
            return 0;
        });
        return command;
    }

    private static Command NoiseCommand()
    {
        var command = new Command("noise", "Smallest noise multiplier σ whose ε after T steps at sampling rate q stays within the target");
        var epsilon = new Option<double>("--epsilon") { Description = "Target ε", Required = true };
        var (rate, steps, delta, json) = Common(command);
        command.Add(epsilon);
        command.SetAction(parse =>
        {
            double sigma = NoiseCalibration.NoiseForEpsilon(parse.GetValue(epsilon), parse.GetValue(delta), parse.GetValue(rate), parse.GetValue(steps));
            Print(parse.GetValue(json), sigma, new JsonObject
            {
                ["noise_multiplier"] = sigma,
                ["epsilon"] = NoiseCalibration.EpsilonForNoise(sigma, parse.GetValue(delta), parse.GetValue(rate), parse.GetValue(steps)),
                ["target_epsilon"] = parse.GetValue(epsilon),
                ["sample_rate"] = parse.GetValue(rate),
                ["steps"] = parse.GetValue(steps),
                ["delta"] = parse.GetValue(delta),
            });
            return 0;
        });
        return command;
    }

    private static (Option<double> Rate, Option<long> Steps, Option<double> Delta, Option<bool> Json) Common(Command command)
    {
        var rate = new Option<double>("--sample-rate", "-q") { Description = "Sampling rate q (batch / dataset size, or clients per round / clients)", Required = true };
        var steps = new Option<long>("--steps", "-T") { Description = "Number of steps (DP-SGD steps, or rounds for DP-FedAvg)", Required = true };
        var delta = new Option<double>("--delta") { Description = "δ", DefaultValueFactory = _ => 1e-5 };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON to stdout" };
        foreach (var option in new Option[] { rate, steps, delta, json }) command.Add(option);
        return (rate, steps, delta, json);
    }

    private static void Print(bool json, double value, JsonObject details) =>
        Console.Out.WriteLine(json
            ? details.ToJsonString(new JsonSerializerOptions { WriteIndented = true })
            : value.ToString("R", CultureInfo.InvariantCulture));
}
