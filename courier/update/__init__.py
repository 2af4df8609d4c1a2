"""A/B system updates with RAUC: boot selection and health commit."""
