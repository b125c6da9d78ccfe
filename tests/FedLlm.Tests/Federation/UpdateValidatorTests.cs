using FedLlm.Federation.Strategies;

namespace FedLlm.Tests.Federation;

public class UpdateValidatorTests
{
    private static readonly float[] Global = [0, 0, 0];

    [Fact]
    public void AcceptsAGoodUpdate() =>
        Assert.Null(new UpdateValidator(3, maxDeltaNorm: 5).Validate(new ClientUpdate(1, 10, [3, 4, 0]), Global));

    [Fact]
    public void ReportsEachProblem()
    {
        var validator = new UpdateValidator(3, maxDeltaNorm: 4.9);
        Assert.Equal("client 1: 2 parameters, expected 3", validator.Validate(new ClientUpdate(1, 1, [0, 0]), Global));
        Assert.Equal("client 2: weight 1 is NaN", validator.Validate(new ClientUpdate(2, 1, [0, float.NaN, 0]), Global));
        Assert.Equal("client 2: weight 2 is -Infinity", validator.Validate(new ClientUpdate(2, 1, [0, 0, float.NegativeInfinity]), Global));
        Assert.Equal("client 3: update norm 5 exceeds the bound 4.9", validator.Validate(new ClientUpdate(3, 1, [3, 4, 0]), Global));
        Assert.Equal("client 4: negative sample count -1", validator.Validate(new ClientUpdate(4, -1, [0, 0, 0]), Global));
    }

    [Fact]
    public void DemandsTheStrategysExtras()
    {
        var validator = UpdateValidator.For(StrategyRegistry.Create(new StrategyOptions { Algorithm = "scaffold", TotalClients = 2 }), 3);
        Assert.Equal("client 0: missing 'scaffold.delta_c'", validator.Validate(new ClientUpdate(0, 1, [0, 0, 0]), Global));
        var shortExtra = new ClientUpdate(0, 1, [0, 0, 0], new Dictionary<string, float[]> { [ExchangeKeys.ScaffoldDeltaControl] = [1] });
        Assert.Equal("client 0: 'scaffold.delta_c' has 1 values, expected 3", validator.Validate(shortExtra, Global));
    }
}
