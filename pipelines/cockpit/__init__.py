"""The cockpit the intercommunales steer from: communes grouped by intercommunale and
province, the ``gold.region_*`` tables and one self-contained page per group and for the
region (see ``docs/cockpit.md``). Engine only: frames in, frames and files out, no Dagster."""
