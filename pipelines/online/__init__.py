"""The online half of the customer journey (intention -> purchase online -> review): indicators
from the merchant survey (and, later, from OSM's online tags). Engine only, no Dagster."""
