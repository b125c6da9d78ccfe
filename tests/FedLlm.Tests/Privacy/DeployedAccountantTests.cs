using FedLlm.Federation.Client;
using FedLlm.Federation.Configuration;
using FedLlm.Federation.Engine;
using FedLlm.Federation.Runs;
using FedLlm.Federation.Strategies;
using FedLlm.Tests.Federation;
using FedLlm.Tests.Infrastructure;

namespace FedLlm.Tests.Privacy;

/// <summary>
/// A DP-SGD client trains a round a second time after its server resumed from an older checkpoint. The simulation rolls
/// the released updates back with the model, so its accountant rolls back too; a deployed member's updates are out, so
/// its accountant must keep every step it ever took.
/// </summary>
[Collection(SimulationCollection.Name)]
public class DeployedAccountantTests(TinySimulationModel tiny)
{
    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 4)]
    public void ARoundSentAgainComposesOntoTheNewestSpendOnlyOnADeployedMember(bool deployed, long stepsAfterTheRepeat)
    {
        using var temp = new TempDirectory();
        var config = tiny.Config(temp.Path, "fedavg", "dp") with
        {
            Privacy = new PrivacySection { Mode = "dp_sgd", NoiseMultiplier = 1.0, ReproducibleNoise = true },
            Training = new TrainingSection { LearningRate = 1e-2, MaxSteps = 2, BatchSize = 2, MaxSequenceLength = 48 },
        };
        var data = TinySimulationModel.Data(config);
        using var model = tiny.Load();
        var adapters = RunSetup.AttachAdapters(model, config);
        var client = RunSetup.Tokenize(data.Clients[0], RunSetup.CreateExampleTokenizer(model, config), config);
        var store = new ClientStateStore(temp.File("state"));
        var trainer = new LocalClientTrainer(adapters, config, store, model.PadId) { Deployed = deployed };
        var task = new ClientTask(0, client.ClientId, adapters.Flatten(), new RoundPlan(0, 1e-2));

        Assert.Equal(2, trainer.Train(task, client).Metrics.Privacy!.TotalSteps);
        var again = trainer.Train(task, client).Metrics.Privacy!; // the resumed server sends round 0 again
        Assert.Equal(stepsAfterTheRepeat, again.TotalSteps);
        Assert.Equal(stepsAfterTheRepeat + 2, trainer.Train(task with { Round = 1 }, client).Metrics.Privacy!.TotalSteps);
    }
}
